using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using CnnClassify.Models;
using CnnClassify.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Runtime;

/// <summary>
/// Reading a checkpoint zip: its <c>trainer.json</c> state, the model's configuration, and the
/// weights streamed into a model. The trainer's <c>Checkpoint</c> writes the files and restores
/// training state on top of this; the predictor loads models through it alone.
/// </summary>
internal static class CheckpointArchive
{
    /// <summary>The checkpoint format this library writes; version 1 is still read.</summary>
    public const int FormatVersion = 2;

    /// <summary>The model configuration a checkpoint holds, read without loading any tensor.</summary>
    public static ModelConfiguration ReadConfiguration(string path) => Guarded(path, () =>
    {
        using var archive = Open(path);
        return ReadConfiguration(ReadState(archive, path), path);
    });

    /// <summary>
    /// Rebuilds the model a checkpoint holds, from the checkpoint alone: a zoo model by name or a
    /// <c>CnnBuilder</c> model from its stored layers, with the saved weights and configuration.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <returns>The model, on the CPU, in training mode; the caller disposes it.</returns>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, or it holds a custom model that only code can create (pass that model to <c>LoadModel(path, model)</c>); the message names the file.</exception>
    public static ClassificationModel LoadModel(string path) => Guarded(path, () =>
    {
        using var archive = Open(path);
        var configuration = ReadConfiguration(ReadState(archive, path), path);
        ClassificationModel model;
        try
        {
            model = ModelZoo.Create(configuration);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"Checkpoint '{path}' cannot rebuild its model: {ex.Message} Then call Checkpoint.LoadModel(path, model) or Predictor.FromCheckpoint(path, model).", ex);
        }

        try
        {
            LoadWeights(archive, path, model);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    });

    /// <summary>
    /// Loads the model weights of a checkpoint into <paramref name="model"/>; a
    /// <see cref="ClassificationModel"/> also takes the checkpoint's configuration (classes, preprocessing).
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="model">A model of the architecture that was saved.</param>
    /// <exception cref="InvalidDataException">
    /// The file is not a checkpoint or its weights do not fit. Keys and shapes are compared before
    /// any weight is copied, so a misfit leaves the model as it was; data damaged partway through
    /// the weights (a corrupt archive) can leave it partly loaded.
    /// </exception>
    public static void LoadModel(string path, nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Guarded(path, () =>
        {
            using var archive = Open(path);
            var configuration = ReadConfiguration(ReadState(archive, path), path);
            LoadWeights(archive, path, model);
            if (model is ClassificationModel classifier)
            {
                classifier.Configuration = configuration;
            }

            return 0;
        });
    }

    /// <summary>
    /// Runs a read of the checkpoint at <paramref name="path"/>, turning every way a damaged file can
    /// fail (bad JSON, wrong types, short or corrupt entries, tensors LibTorch refuses) into one
    /// <see cref="InvalidDataException"/> that names the file.
    /// </summary>
    internal static T Guarded<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidDataException ex) when (ex.Message.Contains(path, StringComparison.Ordinal))
        {
            throw;
        }
        catch (Exception ex) when (ex is InvalidDataException or JsonException or InvalidOperationException or FormatException or KeyNotFoundException
            or EndOfStreamException or ArgumentException or System.Runtime.InteropServices.ExternalException or OverflowException or IndexOutOfRangeException
            or (IOException and not FileNotFoundException))
        {
            throw new InvalidDataException($"Checkpoint '{path}' is damaged or does not fit: {ex.Message}", ex);
        }
    }

    internal static T Value<T>(JsonObject state, string key, string path) =>
        state[key] is JsonValue value && value.TryGetValue<T>(out var result)
            ? result
            : throw new InvalidDataException($"Checkpoint '{path}': trainer.json has no valid '{key}'.");

    // Streams the weights from the archive into the model: the header's keys and shapes are
    // compared with the model's before any tensor is read, and each tensor is read, copied and freed
    // in turn, so no temporary file is written and the memory used is the model's own.
    internal static void LoadWeights(ZipArchive archive, string path, nn.Module model)
    {
        var entry = Required(archive, path, "model.safetensors");
        ZipEntryLimits.CheckInflation(entry, path);
        using var stream = entry.Open();
        var header = SafetensorsFile.ReadHeader(stream, entry.Length, path);
        var target = model.state_dict();
        var report = WeightLoading.Compare(target, header.ToDictionary(e => e.Name, e => e.Shape, StringComparer.Ordinal));
        if (!report.IsExact)
        {
            throw new InvalidDataException($"Checkpoint '{path}': its weights do not match {model.GetType().Name}: {report}.");
        }

        using (torch.no_grad())
        {
            SafetensorsFile.ReadData(stream, header, path, (e, tensor) =>
            {
                using (tensor)
                using (torch.NewDisposeScope())
                {
                    var destination = target[e.Name];
                    destination.copy_(tensor.to(destination.dtype, destination.device));
                }
            });
        }
    }

    private static ModelConfiguration ReadConfiguration(JsonObject state, string path)
    {
        if (state["model"] is JsonNode model)
        {
            return ModelConfiguration.FromJson(model, path);
        }

        // Version 1 kept a flat record of the zoo name, input and normalisation.
        var old = state["metadata"] as JsonObject ?? throw new InvalidDataException($"Checkpoint '{path}' has no model configuration.");
        var classes = old["ClassNames"].Deserialize<List<string>>() ?? [];
        var size = old["ImageSize"]?.GetValue<int>() ?? 224;
        return ModelConfiguration.FromJson(new ModelConfiguration
        {
            Architecture = old["ModelName"]?.GetValue<string>(),
            NumClasses = Math.Max(1, classes.Count),
            InChannels = old["InChannels"]?.GetValue<int>() ?? 3,
            InputHeight = size,
            InputWidth = size,
            AuxiliaryHeads = old["AuxiliaryHeads"]?.GetValue<bool>() ?? false,
            ClassNames = classes,
            Preprocessing = new Preprocessing
            {
                Mean = old["NormalizeMean"].Deserialize<List<double>>() ?? [],
                Std = old["NormalizeStd"].Deserialize<List<double>>() ?? [],
            },
        }.ToJson(), path);
    }

    internal static ZipArchive Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        }

        try
        {
            return ZipFile.OpenRead(path);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"'{path}' is not a CnnClassify checkpoint (not a zip archive: {ex.Message}).", ex);
        }
    }

    internal static JsonObject ReadState(ZipArchive archive, string path)
    {
        var json = ZipEntryLimits.ReadAll(Required(archive, path, "trainer.json"), Inference.ModelLimits.MaxDescriptionBytes, path);
        var state = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"Checkpoint '{path}': trainer.json is not a JSON object.");
        var version = state["format_version"]?.GetValue<int>();
        return version is 1 or FormatVersion ? state
            : throw new InvalidDataException($"Checkpoint '{path}' has format version {version?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}; this library reads version {FormatVersion}.");
    }

    internal static ZipArchiveEntry Required(ZipArchive archive, string path, string name) =>
        archive.GetEntry(name) ?? throw new InvalidDataException($"Checkpoint '{path}' lacks '{name}'; it is damaged or not a CnnClassify checkpoint.");
}
