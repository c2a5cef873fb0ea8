using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using CnnClassify.Interop;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// Checkpoint files: a zip holding <c>model.safetensors</c> (the state dict under its own keys),
/// <c>optimizer.bin</c> (TorchSharp's optimizer state), <c>rng.bin</c> (torch's generator state)
/// and <c>trainer.json</c> (epoch, step, schedule, loss scaler, history, callback state and
/// <see cref="CheckpointMetadata"/>). Files are written atomically.
/// </summary>
public static class Checkpoint
{
    private const int FormatVersion = 1;
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Reads the metadata of a checkpoint without loading its tensors.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <exception cref="InvalidDataException">The file is not a checkpoint.</exception>
    public static CheckpointMetadata ReadMetadata(string path)
    {
        using var archive = Open(path);
        var state = ReadState(archive, path);
        return state["metadata"].Deserialize<CheckpointMetadata>()
            ?? throw new InvalidDataException($"Checkpoint '{path}' has no metadata.");
    }

    /// <summary>Loads the model weights of a checkpoint into <paramref name="model"/>.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="model">A model of the architecture that was saved.</param>
    /// <exception cref="InvalidDataException">The file is not a checkpoint or its weights do not fit.</exception>
    public static void LoadModel(string path, nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var archive = Open(path);
        LoadWeights(archive, path, model);
    }

    internal static void Save(Trainer trainer, string path)
    {
        var state = new JsonObject
        {
            ["format_version"] = FormatVersion,
            ["epoch"] = trainer.Epoch,
            ["global_step"] = trainer.GlobalStep,
            ["schedule"] = trainer.Schedule?.SaveState(),
            ["scaler"] = trainer.Scaler is { } scaler ? new JsonObject { ["scale"] = scaler.Scale, ["growth_tracker"] = scaler.GrowthTracker } : null,
            ["history"] = JsonSerializer.SerializeToNode(trainer.History.Epochs),
            ["callbacks"] = new JsonObject(trainer.Callbacks
                .Select(c => KeyValuePair.Create(c.Name, (JsonNode?)c.SaveState()))
                .Where(pair => pair.Value is not null)),
            ["metadata"] = JsonSerializer.SerializeToNode(trainer.Metadata),
        };

        AtomicFile.Write(path, stream =>
        {
            using var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            Entry(archive, "model.safetensors", entry =>
            {
                var temporary = Path.GetTempFileName();
                try
                {
                    SafetensorsFile.Write(temporary, trainer.Model.state_dict());
                    using var file = File.OpenRead(temporary);
                    file.CopyTo(entry);
                }
                finally
                {
                    File.Delete(temporary);
                }
            });
            Entry(archive, "optimizer.bin", entry =>
            {
                using var writer = new BinaryWriter(entry);
                ((OptimizerHelper)trainer.Optimizer).save_state_dict(writer);
            });
            Entry(archive, "rng.bin", entry =>
            {
                using var rng = torch.get_rng_state();
                entry.Write(rng.bytes);
            });
            Entry(archive, "trainer.json", entry => JsonSerializer.Serialize(entry, state, Json));
        });
    }

    internal static void Load(Trainer trainer, string path)
    {
        using var archive = Open(path);
        var state = ReadState(archive, path);
        LoadWeights(archive, path, trainer.Model);
        using (var reader = new BinaryReader(Required(archive, path, "optimizer.bin").Open()))
        {
            try
            {
                ((OptimizerHelper)trainer.Optimizer).load_state_dict(reader);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or EndOfStreamException)
            {
                throw new InvalidDataException($"Checkpoint '{path}': its optimizer state does not fit this trainer's optimizer ({ex.Message}).", ex);
            }
        }

        using (var rngStream = Required(archive, path, "rng.bin").Open())
        using (var memory = new MemoryStream())
        {
            rngStream.CopyTo(memory);
            using var rng = torch.get_rng_state();
            if (memory.Length == rng.numel())
            {
                rng.bytes = memory.ToArray();
                torch.set_rng_state(rng);
            }
        }

        if (state["schedule"] is JsonObject schedule)
        {
            trainer.Schedule?.LoadState(schedule);
        }

        if (state["scaler"] is JsonObject scaler && trainer.Scaler is { } gradScaler)
        {
            gradScaler.Restore(scaler["scale"]!.GetValue<double>(), scaler["growth_tracker"]!.GetValue<int>());
        }

        if (state["callbacks"] is JsonObject callbacks)
        {
            foreach (var callback in trainer.Callbacks)
            {
                if (callbacks[callback.Name] is JsonObject saved)
                {
                    callback.LoadState(saved);
                }
            }
        }

        var history = new History();
        foreach (var epoch in state["history"].Deserialize<List<EpochMetrics>>() ?? [])
        {
            history.Add(epoch);
        }

        trainer.Restore(state["epoch"]!.GetValue<int>(), state["global_step"]!.GetValue<long>(), history);
    }

    private static void LoadWeights(ZipArchive archive, string path, nn.Module model)
    {
        var temporary = Path.GetTempFileName();
        try
        {
            using (var entry = Required(archive, path, "model.safetensors").Open())
            using (var file = File.Create(temporary))
            {
                entry.CopyTo(file);
            }

            var tensors = SafetensorsFile.Read(temporary);
            try
            {
                model.LoadStateDict(tensors, strict: true, sourceName: path);
            }
            finally
            {
                foreach (var tensor in tensors.Values)
                {
                    tensor.Dispose();
                }
            }
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static ZipArchive Open(string path)
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

    private static JsonObject ReadState(ZipArchive archive, string path)
    {
        using var stream = Required(archive, path, "trainer.json").Open();
        var state = JsonNode.Parse(stream) as JsonObject ?? throw new InvalidDataException($"Checkpoint '{path}': trainer.json is not a JSON object.");
        var version = state["format_version"]?.GetValue<int>();
        return version == FormatVersion ? state
            : throw new InvalidDataException($"Checkpoint '{path}' has format version {version?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}; this library reads version {FormatVersion}.");
    }

    private static ZipArchiveEntry Required(ZipArchive archive, string path, string name) =>
        archive.GetEntry(name) ?? throw new InvalidDataException($"Checkpoint '{path}' lacks '{name}'; it is damaged or not a CnnClassify checkpoint.");

    private static void Entry(ZipArchive archive, string name, Action<Stream> write)
    {
        using var stream = archive.CreateEntry(name, CompressionLevel.NoCompression).Open();
        write(stream);
    }
}
