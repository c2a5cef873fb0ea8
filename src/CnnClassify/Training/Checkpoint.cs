using System.IO.Compression;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using CnnClassify.Models;
using CnnClassify.Native;
using CnnClassify.Runtime;
using CnnClassify.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Training;

/// <summary>
/// Checkpoint files: a zip holding <c>model.safetensors</c> (the state dict under its own keys),
/// <c>optimizer.bin</c> (TorchSharp's optimizer state), <c>rng.bin</c> (torch's generator state)
/// and <c>trainer.json</c> (epoch, step, schedule, loss scaler, history, callback state and the
/// model's <see cref="ModelConfiguration"/>). Files are written atomically.
/// </summary>
public static class Checkpoint
{
    private static JsonSerializerOptions Json => JsonNumbers.Options;

    /// <summary>Reads the model's configuration (architecture, input, classes, preprocessing) without loading any tensor.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, or its configuration is damaged; the message names the file.</exception>
    public static ModelConfiguration ReadConfiguration(string path) => CheckpointArchive.ReadConfiguration(path);

    /// <summary>Reads the training history a checkpoint holds (every epoch up to it) without loading any tensor.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, or its history is damaged; the message names the file.</exception>
    public static History ReadHistory(string path) => CheckpointArchive.Guarded(path, () =>
    {
        using var archive = CheckpointArchive.Open(path);
        return History(CheckpointArchive.ReadState(archive, path));
    });

    /// <summary>
    /// Rebuilds the model a checkpoint holds, from the checkpoint alone: a zoo model by name or a
    /// <c>CnnBuilder</c> model from its stored layers, with the saved weights and configuration.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <returns>The model, on the CPU, in training mode; the caller disposes it.</returns>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, or it holds a custom model that only code can create (pass that model to <see cref="LoadModel(string, nn.Module)"/>); the message names the file.</exception>
    public static ClassificationModel LoadModel(string path) => CheckpointArchive.LoadModel(path);

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
    public static void LoadModel(string path, nn.Module model) => CheckpointArchive.LoadModel(path, model);

    internal static void Save(Trainer trainer, string path)
    {
        // The state is gathered before the file is opened, so a callback that fails leaves the old file.
        var state = State(trainer);
        AtomicFile.Write(path, stream => Save(trainer, state, stream));
    }

    /// <summary>Writes <paramref name="trainer"/>'s whole state as a checkpoint to <paramref name="stream"/> (which need not seek).</summary>
    internal static void Save(Trainer trainer, Stream stream) => Save(trainer, State(trainer), stream);

    private static JsonObject State(Trainer trainer) => new()
    {
        ["format_version"] = CheckpointArchive.FormatVersion,
        ["epoch"] = trainer.Epoch,
        ["global_step"] = trainer.GlobalStep,
        ["schedule"] = trainer.Schedule?.SaveState(),
        ["scaler"] = trainer.Scaler is { } scaler ? new JsonObject { ["scale"] = scaler.Scale, ["growth_tracker"] = scaler.GrowthTracker } : null,
        ["history"] = JsonSerializer.SerializeToNode(trainer.History.Epochs, Json),
        ["callbacks"] = new JsonObject(trainer.Callbacks
            .Select(c => KeyValuePair.Create(c.Name, (JsonNode?)c.SaveState()))
            .Where(pair => pair.Value is not null)),
        ["model"] = trainer.Configuration.ToJson(),
    };

    private static void Save(Trainer trainer, JsonObject state, Stream stream)
    {
        using var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        Entry(archive, "model.safetensors", entry => SafetensorsFile.Write(entry, trainer.Model.state_dict()));
        Entry(archive, "optimizer.bin", entry =>
        {
            using var writer = new BinaryWriter(entry);
            ChannelsLastExtensions.WhileContiguous(OptimizerStateTensors(trainer.Optimizer), () => ((OptimizerHelper)trainer.Optimizer).save_state_dict(writer));
        });
        Entry(archive, "rng.bin", entry =>
        {
            using var rng = torch.get_rng_state();
            entry.Write(rng.bytes);
        });
        Entry(archive, "trainer.json", entry => JsonSerializer.Serialize(entry, state, Json));
    }

    internal static void Load(Trainer trainer, string path) => CheckpointArchive.Guarded(path, () =>
    {
        using var archive = CheckpointArchive.Open(path);
        Load(trainer, archive, path);
        return 0;
    });

    /// <summary>Restores <paramref name="trainer"/> from a checkpoint held by <paramref name="stream"/>, as <see cref="Load(Trainer, string)"/> does from a file.</summary>
    internal static void Load(Trainer trainer, Stream stream, string sourceName) => CheckpointArchive.Guarded(sourceName, () =>
    {
        using var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        Load(trainer, archive, sourceName);
        return 0;
    });

    private static void Load(Trainer trainer, ZipArchive archive, string path)
    {
        var state = CheckpointArchive.ReadState(archive, path);
        CheckpointArchive.LoadWeights(archive, path, trainer.Model);

        // Callbacks first: one that unfreezes stages adds their parameter groups, which the optimizer state expects.
        if (state["callbacks"] is JsonObject callbacks)
        {
            foreach (var callback in trainer.Callbacks)
            {
                if (callbacks[callback.Name] is JsonObject saved)
                {
                    callback.LoadState(saved, trainer);
                }
            }
        }

        using (var reader = new BinaryReader(CheckpointArchive.Required(archive, path, "optimizer.bin").Open()))
        {
            try
            {
                ChannelsLastExtensions.WhileContiguous(OptimizerStateTensors(trainer.Optimizer), () => ((OptimizerHelper)trainer.Optimizer).load_state_dict(reader));
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or EndOfStreamException)
            {
                throw new InvalidDataException($"Checkpoint '{path}': its optimizer state does not fit this trainer's optimizer ({ex.Message}).", ex);
            }
        }

        using (var rngStream = CheckpointArchive.Required(archive, path, "rng.bin").Open())
        using (var memory = new MemoryStream())
        {
            rngStream.CopyTo(memory);
            using var rng = torch.get_rng_state();
            if (memory.Length == rng.numel())
            {
                var generator = memory.ToArray();
                if (!IsValidGeneratorState(generator))
                {
                    throw new InvalidDataException($"Checkpoint '{path}': its random number state (rng.bin) is damaged.");
                }

                rng.bytes = generator;
                torch.set_rng_state(rng);
            }
        }

        if (state["schedule"] is JsonObject schedule)
        {
            trainer.Schedule?.LoadState(schedule);
        }

        if (state["scaler"] is JsonObject scaler && trainer.Scaler is { } gradScaler)
        {
            gradScaler.Restore(JsonNumbers.Read(scaler["scale"]) ?? throw new InvalidDataException($"Checkpoint '{path}': trainer.json has no valid 'scale'."), CheckpointArchive.Value<int>(scaler, "growth_tracker", path));
        }

        trainer.Restore(CheckpointArchive.Value<int>(state, "epoch", path), CheckpointArchive.Value<long>(state, "global_step", path), History(state));
    }

    /// <summary>
    /// Whether <paramref name="state"/> is a CPU generator state LibTorch accepts. LibTorch checks
    /// it too, but its error escapes TorchSharp's native call and ends the process, so a damaged
    /// file is caught here: the Mersenne Twister must be seeded (<c>seeded</c> at byte 12), with
    /// <c>left</c> (byte 8) in 1 to 624 and <c>next</c> (byte 16, read as 32 bits) at most 624,
    /// as in LibTorch's <c>CPUGeneratorImplStateLegacy</c> layout.
    /// </summary>
    internal static bool IsValidGeneratorState(ReadOnlySpan<byte> state)
    {
        const int MersenneStateSize = 624;
        if (state.Length < 24)
        {
            return false;
        }

        var left = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(state[8..]);
        var seeded = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(state[12..]);
        var next = (uint)System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(state[16..]);
        return seeded != 0 && left is >= 1 and <= MersenneStateSize && next <= MersenneStateSize;
    }

    /// <summary>
    /// The tensors an optimizer keeps per parameter (moments, momentum buffers, ...): the public
    /// tensor fields and properties of TorchSharp's state objects, which <c>state_dict</c> returns
    /// as they live in the optimizer.
    /// </summary>
    private static List<Tensor> OptimizerStateTensors(optim.Optimizer optimizer)
    {
        const BindingFlags Public = BindingFlags.Public | BindingFlags.Instance;
        var tensors = new List<Tensor>();
        foreach (var state in ((OptimizerHelper)optimizer).state_dict().State)
        {
            var type = state.GetType();
            tensors.AddRange(type.GetFields(Public).Where(f => f.FieldType == typeof(Tensor)).Select(f => f.GetValue(state)).OfType<Tensor>());
            tensors.AddRange(type.GetProperties(Public).Where(p => p.PropertyType == typeof(Tensor) && p.GetIndexParameters().Length == 0).Select(p => p.GetValue(state)).OfType<Tensor>());
        }

        return tensors;
    }

    private static void Entry(ZipArchive archive, string name, Action<Stream> write)
    {
        using var stream = archive.CreateEntry(name, CompressionLevel.NoCompression).Open();
        write(stream);
    }

    private static History History(JsonObject state)
    {
        var history = new History();
        foreach (var epoch in state["history"].Deserialize<List<EpochMetrics>>(Json) ?? [])
        {
            history.Add(epoch);
        }

        return history;
    }
}
