using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Data;

/// <summary>
/// Loads MNIST, Fashion-MNIST or KMNIST from their four IDX files (gzipped or raw) into a
/// <see cref="TensorDataset"/> of 1x28x28 <c>uint8</c> images.
/// </summary>
public static class MnistDataset
{
    /// <summary>The class names of <paramref name="variant"/>, in label order.</summary>
    /// <param name="variant">The dataset.</param>
    public static IReadOnlyList<string> ClassNames(MnistVariant variant) => variant switch
    {
        MnistVariant.FashionMnist => ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        MnistVariant.Kmnist => ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"],
        _ => ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    };

    /// <summary>Loads the training or test split from <paramref name="directory"/>.</summary>
    /// <param name="directory">A folder with <c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c> and <c>t10k-labels-idx1-ubyte</c>, each optionally <c>.gz</c>.</param>
    /// <param name="train">The 60,000-image training split, or else the 10,000-image test split.</param>
    /// <param name="variant">Which dataset, for the class names.</param>
    /// <exception cref="FileNotFoundException">A file is missing; the message names it.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, or the image and label counts disagree; the message names the files.</exception>
    public static TensorDataset Load(string directory, bool train, MnistVariant variant)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var prefix = train ? "train" : "t10k";
        var imagesPath = FindFile(directory, $"{prefix}-images-idx3-ubyte");
        var labelsPath = FindFile(directory, $"{prefix}-labels-idx1-ubyte");
        return Load(imagesPath, labelsPath, ClassNames(variant));
    }

    /// <summary>Loads a pair of IDX files: images [N, H, W] and labels [N].</summary>
    /// <param name="imagesPath">The images file.</param>
    /// <param name="labelsPath">The labels file.</param>
    /// <param name="classes">The class names.</param>
    /// <exception cref="InvalidDataException">A file is malformed, or the counts or types disagree; the message names the files.</exception>
    public static TensorDataset Load(string imagesPath, string labelsPath, IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var images = IdxFile.Read(imagesPath);
        try
        {
            using var labels = IdxFile.Read(labelsPath);
            if (images.dtype != ScalarType.Byte || images.dim() != 3)
            {
                throw new InvalidDataException($"IDX file '{imagesPath}' holds {images.dtype} [{string.Join(", ", images.shape)}], not uint8 images [N, H, W].");
            }

            if (labels.dim() != 1 || labels.shape[0] != images.shape[0])
            {
                throw new InvalidDataException($"IDX files '{imagesPath}' and '{labelsPath}' disagree: {images.shape[0]:N0} images but labels of shape [{string.Join(", ", labels.shape)}].");
            }

            var values = labels.to(ScalarType.Int64).data<long>().ToArray();
            var bad = Array.FindIndex(values, label => label < 0 || label >= classes.Count);
            if (bad >= 0)
            {
                throw new InvalidDataException($"IDX file '{labelsPath}': label {values[bad]} of sample {bad} is outside [0, {classes.Count}).");
            }

            return new TensorDataset(images, values, classes, Path.GetFileName(imagesPath));
        }
        catch
        {
            images.Dispose();
            throw;
        }
    }

    internal static string FindFile(string directory, string name) =>
        new[] { name, name + ".gz" }.Select(file => Path.Combine(directory, file)).FirstOrDefault(File.Exists)
        ?? throw new FileNotFoundException($"IDX file '{Path.Combine(directory, name)}' (or '{name}.gz') does not exist.", Path.Combine(directory, name));
}
