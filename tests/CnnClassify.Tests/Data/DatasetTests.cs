using System.Buffers.Binary;
using CnnClassify.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Tests.Data;

public sealed class DatasetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-datasets-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Mnist_style_files_load_images_labels_and_class_names()
    {
        WriteIdx("train-images-idx3-ubyte", 0x08, [3, 2, 2], [.. Enumerable.Range(0, 12).Select(i => (byte)i)]);
        WriteIdx("train-labels-idx1-ubyte", 0x08, [3], [9, 0, 4]);
        WriteIdx("t10k-images-idx3-ubyte", 0x08, [1, 2, 2], [1, 2, 3, 4]);
        WriteIdx("t10k-labels-idx1-ubyte", 0x08, [1], [2]);

        using var train = MnistDataset.Load(_dir, train: true, MnistVariant.FashionMnist);
        using var sample = train.Read(2);

        Assert.Equal(3, train.Count);
        Assert.Equal("Ankle boot", train.Classes[(int)train.LabelAt(0)]);
        Assert.Equal([1L, 2, 2], sample.Image.shape);
        Assert.Equal(new byte[] { 8, 9, 10, 11 }, sample.Image.data<byte>().ToArray());
        Assert.Equal(4, sample.Label);
        Assert.Equal("train-images-idx3-ubyte[2]", sample.Source);
    }

    [Fact]
    public void Idx_files_whose_counts_disagree_are_named()
    {
        WriteIdx("train-images-idx3-ubyte", 0x08, [3, 2, 2], new byte[12]);
        WriteIdx("train-labels-idx1-ubyte", 0x08, [2], [1, 2]);

        var error = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(_dir, train: true, MnistVariant.Mnist));

        Assert.Contains("train-images-idx3-ubyte", error.Message);
        Assert.Contains("train-labels-idx1-ubyte", error.Message);
        Assert.Contains("3 images but labels of shape [2]", error.Message);
    }

    [Fact]
    public void A_wrong_magic_number_names_the_file()
    {
        File.WriteAllBytes(Path.Combine(_dir, "train-images-idx3-ubyte"), [1, 2, 8, 3, 0, 0, 0, 0]);
        WriteIdx("train-labels-idx1-ubyte", 0x08, [0], []);

        var error = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(_dir, train: true, MnistVariant.Mnist));

        Assert.Contains("train-images-idx3-ubyte", error.Message);
        Assert.Contains("magic number", error.Message);
    }

    [Fact]
    public void Cifar10_records_load_with_label_first_and_planar_pixels()
    {
        var pixels = Enumerable.Range(0, 3072).Select(i => (byte)(i % 251)).ToArray();
        for (var batch = 1; batch <= 5; batch++)
        {
            File.WriteAllBytes(Path.Combine(_dir, $"data_batch_{batch}.bin"), [(byte)(batch - 1), .. pixels, 7, .. pixels]);
        }

        using var train = CifarDataset.Load(_dir, train: true, CifarVariant.Cifar10);
        using var sample = train.Read(3);

        Assert.Equal(10, train.Count);
        Assert.Equal([0L, 7, 1, 7, 2, 7, 3, 7, 4, 7], Enumerable.Range(0, 10).Select(i => train.LabelAt(i)));
        Assert.Equal("horse", train.Classes[7]);
        Assert.Equal([3L, 32, 32], sample.Image.shape);
        Assert.Equal(pixels[1024 + 33], sample.Image[1, 1, 1].item<byte>()); // green plane, row 1, column 1
    }

    [Fact]
    public void Cifar100_uses_the_fine_label_in_the_second_byte()
    {
        File.WriteAllBytes(Path.Combine(_dir, "test.bin"), [5, 42, .. new byte[3072]]);

        using var test = CifarDataset.Load(_dir, train: false, CifarVariant.Cifar100);

        Assert.Equal(42, test.LabelAt(0));
        Assert.Equal(100, test.Classes.Count);
    }

    [Fact]
    public void A_cifar_file_that_is_not_whole_records_is_named()
    {
        var path = Path.Combine(_dir, "test_batch.bin");
        File.WriteAllBytes(path, new byte[3073 + 10]);

        var error = Assert.Throws<InvalidDataException>(() => CifarDataset.Load(_dir, train: false, CifarVariant.Cifar10));

        Assert.Contains(path, error.Message);
        Assert.Contains("not a whole number of 3,073-byte records", error.Message);
    }

    [Fact]
    public void Stratified_split_keeps_each_class_proportion_and_is_reproducible()
    {
        using var dataset = InMemory([.. Enumerable.Repeat(0L, 80), .. Enumerable.Repeat(1L, 20)]);

        var (train, validation) = DatasetSplit.Split(dataset, 0.25, seed: 5, stratified: true);
        var again = DatasetSplit.Split(dataset, 0.25, seed: 5, stratified: true);
        var other = DatasetSplit.Split(dataset, 0.25, seed: 6, stratified: true);

        Assert.Equal([20L, 5, 0], ClassStatistics.Counts(validation));
        Assert.Equal([60L, 15, 0], ClassStatistics.Counts(train));
        Assert.Empty(train.Indices.Intersect(validation.Indices));
        Assert.Equal(validation.Indices, again.Validation.Indices);
        Assert.NotEqual(validation.Indices, other.Validation.Indices);
    }

    [Fact]
    public void Balanced_class_weights_follow_scikit_learns_formula()
    {
        using var dataset = InMemory([0, 0, 0, 1, 2, 2]);

        var counts = ClassStatistics.Counts(dataset);
        var weights = ClassStatistics.BalancedWeights([.. counts, 0]);

        Assert.Equal([3L, 1, 2], counts);
        // n_samples / (n_classes * count) with 4 classes: 6/12, 6/4, 6/8, and 0 for the empty class.
        Assert.Equal([0.5, 1.5, 0.75, 0.0], weights);
    }

    [Fact]
    public void Tensor_dataset_rejects_labels_outside_the_classes()
    {
        var error = Assert.Throws<ArgumentException>(() => new TensorDataset(torch.zeros([2, 4, 4], ScalarType.Byte), [0, 3], ["a", "b"], "demo"));

        Assert.Contains("label 3 of sample 1 is outside [0, 2)", error.Message);
    }

    private static TensorDataset InMemory(long[] labels) =>
        new(torch.zeros([labels.Length, 2, 2], ScalarType.Byte), labels, ["a", "b", "c"]);

    private void WriteIdx(string name, byte type, int[] shape, byte[] payload)
    {
        var bytes = new byte[4 + (4 * shape.Length) + payload.Length];
        bytes[2] = type;
        bytes[3] = (byte)shape.Length;
        for (var i = 0; i < shape.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * i)), shape[i]);
        }

        payload.CopyTo(bytes, 4 + (4 * shape.Length));
        File.WriteAllBytes(Path.Combine(_dir, name), bytes);
    }
}
