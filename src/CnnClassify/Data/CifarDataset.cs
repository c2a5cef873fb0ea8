using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data;

/// <summary>
/// Loads CIFAR-10 or CIFAR-100 from the binary version's files into a <see cref="TensorDataset"/>
/// of 3x32x32 <c>uint8</c> images.
/// </summary>
/// <remarks>
/// CIFAR-10 (<c>cifar-10-batches-bin</c>): <c>data_batch_1.bin</c> to <c>data_batch_5.bin</c> and
/// <c>test_batch.bin</c>, records of one label byte and 3,072 pixel bytes; class names from
/// <c>batches.meta.txt</c>. CIFAR-100 (<c>cifar-100-binary</c>): <c>train.bin</c> and
/// <c>test.bin</c>, records of a coarse and a fine label byte and 3,072 pixel bytes; class names
/// from <c>fine_label_names.txt</c>.
/// </remarks>
public static class CifarDataset
{
    private const int PixelBytes = 3 * 32 * 32;

    private static readonly string[] Cifar10Classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>Loads the training or test split from <paramref name="directory"/>.</summary>
    /// <param name="directory">The folder of binary batch files.</param>
    /// <param name="train">The 50,000-image training split, or else the 10,000-image test split.</param>
    /// <param name="variant">CIFAR-10 or CIFAR-100.</param>
    /// <exception cref="FileNotFoundException">A batch file is missing; the message names it.</exception>
    /// <exception cref="InvalidDataException">A file's length is not a whole number of records, or a label is out of range; the message names the file.</exception>
    public static TensorDataset Load(string directory, bool train, CifarVariant variant)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var cifar10 = variant == CifarVariant.Cifar10;
        string[] files = cifar10
            ? train ? [.. Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin")] : ["test_batch.bin"]
            : [train ? "train.bin" : "test.bin"];
        var classes = ReadClassNames(directory, cifar10 ? "batches.meta.txt" : "fine_label_names.txt", cifar10 ? Cifar10Classes : [.. Enumerable.Range(0, 100).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        var labelBytes = cifar10 ? 1 : 2;
        var recordBytes = labelBytes + PixelBytes;

        var labels = new List<long>();
        var pixels = new List<byte[]>();
        foreach (var file in files)
        {
            var path = Path.Combine(directory, file);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"CIFAR batch file '{path}' does not exist.", path);
            }

            var bytes = File.ReadAllBytes(path);
            if (bytes.Length == 0 || bytes.Length % recordBytes != 0)
            {
                throw new InvalidDataException($"CIFAR batch file '{path}' has {bytes.Length:N0} bytes, which is not a whole number of {recordBytes:N0}-byte records.");
            }

            for (var offset = 0; offset < bytes.Length; offset += recordBytes)
            {
                long label = bytes[offset + labelBytes - 1];
                if (label >= classes.Count)
                {
                    throw new InvalidDataException($"CIFAR batch file '{path}': record {offset / recordBytes} has label {label}, outside [0, {classes.Count}).");
                }

                labels.Add(label);
            }

            pixels.Add(bytes);
        }

        var images = new byte[(long)labels.Count * PixelBytes];
        var written = 0L;
        foreach (var bytes in pixels)
        {
            for (var offset = 0; offset < bytes.Length; offset += recordBytes)
            {
                Array.Copy(bytes, offset + labelBytes, images, written, PixelBytes);
                written += PixelBytes;
            }
        }

        var tensor = torch.tensor(images, [labels.Count, 3, 32, 32], ScalarType.Byte);
        return new TensorDataset(tensor, labels, classes, string.Join('+', files));
    }

    private static IReadOnlyList<string> ReadClassNames(string directory, string file, string[] fallback)
    {
        var path = Path.Combine(directory, file);
        if (!File.Exists(path))
        {
            return fallback;
        }

        var names = File.ReadAllLines(path).Select(line => line.Trim()).Where(line => line.Length > 0).ToList();
        return names.Count == fallback.Length ? names
            : throw new InvalidDataException($"CIFAR class file '{path}' lists {names.Count} classes, not {fallback.Length}.");
    }
}
