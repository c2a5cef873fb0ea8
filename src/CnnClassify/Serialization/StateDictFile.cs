using System.Collections;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace CnnClassify.Serialization;

/// <summary>
/// Reads a state dict (names to tensors) from a PyTorch checkpoint written by <c>torch.save</c>
/// (<c>.pth</c>, <c>.pt</c>, <c>.bin</c>) or from a <c>.safetensors</c> file, whatever its extension.
/// </summary>
/// <remarks>
/// PyTorch files are unpickled by TorchSharp.PyBridge into plain tensors, and the library then
/// copies them into the model itself (see <see cref="WeightLoading"/>). This sidesteps two faults
/// of PyBridge 1.4.4's <c>load_py</c>: it leaves every loaded parameter with
/// <c>requires_grad</c> off, and it still reads the tensors its skip list names, which fails when
/// a 1,000-class head meets a 10-class model.
/// </remarks>
public static class StateDictFile
{
    /// <summary>Reads every tensor in the file onto the CPU.</summary>
    /// <param name="path">A <c>torch.save</c> zip file or a safetensors file.</param>
    /// <returns>The tensors by name; the caller owns and disposes them.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is neither format, or is damaged; the message names the file.</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Weights file '{path}' does not exist.", path);
        }

        if (!IsZip(path))
        {
            if (IsPickle(path))
            {
                throw new InvalidDataException($"PyTorch file '{path}' is in the legacy format from before PyTorch 1.6, which this library does not read; load it in Python and save it again with torch.save(state_dict, path), or as safetensors.");
            }

            return SafetensorsFile.Read(path);
        }

        CheckPickles(path);
        Hashtable table;
        try
        {
            using var stream = File.OpenRead(path);
            table = PyTorchUnpickler.UnpickleStateDict(stream);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidDataException(
                $"PyTorch file '{path}' could not be read as a state dict ({ex.GetType().Name}: {ex.Message}). " +
                "Save it with torch.save(model.state_dict(), path), or as safetensors.", ex);
        }

        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is string name && entry.Value is Tensor tensor)
            {
                tensors[name] = tensor;
            }
        }

        return tensors;
    }

    private static void CheckPickles(string path)
    {
        using var archive = OpenZip(path);
        foreach (var entry in archive.Entries.Where(e => !e.FullName.EndsWith(".pkl", StringComparison.Ordinal)))
        {
            ZipEntryLimits.CheckInflation(entry, path);
        }

        foreach (var entry in archive.Entries.Where(e => e.FullName.EndsWith(".pkl", StringComparison.Ordinal)))
        {
            // The declared size is checked before inflating, and the inflated bytes are counted
            // too, so that an entry that lies about its size stops at the limit.
            var buffer = ZipEntryLimits.ReadAll(entry, PickleGuard.MaxPickleBytes, path);
            PickleGuard.Check(buffer, $"{path}' entry '{entry.FullName}");
        }
    }

    private static System.IO.Compression.ZipArchive OpenZip(string path)
    {
        try
        {
            return System.IO.Compression.ZipFile.OpenRead(path);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"PyTorch file '{path}' is a damaged zip archive ({ex.Message}).", ex);
        }
    }

    private static bool IsPickle(string path)
    {
        Span<byte> start = stackalloc byte[2];
        using var stream = File.OpenRead(path);
        return stream.ReadAtLeast(start, 2, throwOnEndOfStream: false) == 2 && start[0] == 0x80 && start[1] is >= 2 and <= 5;
    }

    private static bool IsZip(string path)
    {
        Span<byte> signature = stackalloc byte[4];
        using var stream = File.OpenRead(path);
        return stream.ReadAtLeast(signature, 4, throwOnEndOfStream: false) == 4
            && signature[0] == 0x50 && signature[1] == 0x4b && signature[2] == 0x03 && signature[3] == 0x04;
    }
}
