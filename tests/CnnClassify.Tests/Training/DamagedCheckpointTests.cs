using System.IO.Compression;
using CnnClassify.Models;
using CnnClassify.Training;

namespace CnnClassify.Tests.Training;

/// <summary>A damaged or mismatched checkpoint gives an error naming the file and the problem, never a crash.</summary>
[Collection(SerialTests.Name)]
public sealed class DamagedCheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-damaged-").FullName;
    private readonly string _good;

    public DamagedCheckpointTests()
    {
        using var model = TrainingData.Conv(seed: 1);
        var trainer = Trainer.For(model).AddCallback(new CheckpointCallback(_dir, Metric.TrainLoss)).Build();
        trainer.Fit(TrainingData.Loader(TrainingData.Separable(16)), null, epochs: 1);
        _good = Path.Combine(_dir, "last.ckpt");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Copy(string name, Func<byte[], byte[]> damage)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, damage(File.ReadAllBytes(_good)));
        return path;
    }

    private string WithoutEntry(string entry)
    {
        var path = Path.Combine(_dir, $"without-{entry}.ckpt");
        File.Copy(_good, path);
        using var archive = ZipFile.Open(path, ZipArchiveMode.Update);
        archive.GetEntry(entry)!.Delete();
        return path;
    }

    /// <summary>Every way of reading a checkpoint must fail only with an error naming the file.</summary>
    private static void RefusedWithItsName(string path)
    {
        foreach (var read in new Action[]
        {
            () => Checkpoint.ReadConfiguration(path),
            () => Checkpoint.LoadModel(path).Dispose(),
            () =>
            {
                using var model = TrainingData.Conv(seed: 2);
                Trainer.For(model).Build().LoadCheckpoint(path);
            },
        })
        {
            var error = Assert.ThrowsAny<Exception>(read);
            Assert.True(error is InvalidDataException, $"{path}: {error.GetType().Name}: {error.Message}");
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_truncated_checkpoint_is_refused_by_name()
    {
        foreach (var fraction in new[] { 0.0, 0.1, 0.5, 0.9, 0.999 })
        {
            RefusedWithItsName(Copy($"cut-{fraction}.ckpt", bytes => bytes[..(int)(bytes.Length * fraction)]));
        }
    }

    [Theory]
    [InlineData("model.safetensors")]
    [InlineData("trainer.json")]
    [InlineData("optimizer.bin")]
    public void A_checkpoint_missing_an_entry_names_it(string entry)
    {
        var path = WithoutEntry(entry);
        using var model = TrainingData.Conv(seed: 2);

        var error = Assert.Throws<InvalidDataException>(() => Trainer.For(model).Build().LoadCheckpoint(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(entry, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_checkpoint_of_another_architecture_or_class_count_says_what_differs()
    {
        using var wider = CnnBuilder.Input(1, 4, 4).Conv(16, 3, padding: 1).BatchNorm().ReLU().Flatten().Dropout(0.2).Dense(3).Build();
        using var moreClasses = CnnBuilder.Input(1, 4, 4).Conv(8, 3, padding: 1).BatchNorm().ReLU().Flatten().Dropout(0.2).Dense(5).Build();
        using var zoo = ModelZoo.Create("lenet5", numClasses: 3);

        var shapes = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadModel(_good, wider));
        var classes = Assert.Throws<InvalidDataException>(() => Trainer.For(moreClasses).Build().LoadCheckpoint(_good));
        var architecture = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadModel(_good, zoo));

        Assert.Contains(_good, shapes.Message, StringComparison.Ordinal);
        Assert.Contains("conv1.weight [8, 1, 3, 3] vs [16, 1, 3, 3]", shapes.Message, StringComparison.Ordinal);
        Assert.Contains("fc1.weight [3, 128] vs [5, 128]", classes.Message, StringComparison.Ordinal);
        Assert.Contains("missing", architecture.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(8, 0)]      // left: no draws left
    [InlineData(12, 0)]     // seeded: not seeded
    [InlineData(16, 200)]   // next: beyond the 624 words of state
    public void A_random_number_state_libtorch_would_reject_is_refused_by_name_instead_of_ending_the_process(int offset, int value)
    {
        var path = Path.Combine(_dir, $"rng-{offset}.ckpt");
        File.Copy(_good, path);
        using (var archive = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            var entry = archive.GetEntry("rng.bin")!;
            byte[] state;
            using (var read = entry.Open())
            using (var memory = new MemoryStream())
            {
                read.CopyTo(memory);
                state = memory.ToArray();
            }

            Assert.True(Checkpoint.IsValidGeneratorState(state));
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(state.AsSpan(offset), offset == 16 ? 625 + value : value);
            entry.Delete();
            using var write = archive.CreateEntry("rng.bin").Open();
            write.Write(state);
        }

        using var model = TrainingData.Conv(seed: 2);
        var error = Assert.Throws<InvalidDataException>(() => Trainer.For(model).Build().LoadCheckpoint(path));

        Assert.Equal($"Checkpoint '{path}': its random number state (rng.bin) is damaged.", error.Message);
    }

    [Fact]
    public void Mutated_checkpoints_never_crash_and_always_name_the_file()
    {
        var random = new Random(14);
        var original = File.ReadAllBytes(_good);
        for (var i = 0; i < 150; i++)
        {
            var bytes = (byte[])original.Clone();
            var flips = random.Next(1, 8);
            for (var f = 0; f < flips; f++)
            {
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
            }

            var path = Path.Combine(_dir, $"mutant-{i}.ckpt");
            File.WriteAllBytes(path, bytes);
            try
            {
                using var model = Checkpoint.LoadModel(path);
                var trainer = Trainer.For(TrainingData.Conv(seed: 2)).Build();
                trainer.LoadCheckpoint(path);
            }
            catch (InvalidDataException ex)
            {
                Assert.Contains(path, ex.Message, StringComparison.Ordinal);
            }
        }
    }
}
