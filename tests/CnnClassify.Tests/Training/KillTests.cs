using System.Diagnostics;
using CnnClassify.Tests.Data;
using CnnClassify.Training;
using Xunit.Abstractions;

namespace CnnClassify.Tests.Training;

/// <summary>
/// CLI training killed with SIGKILL mid-epoch, during a checkpoint write and right after one: the
/// checkpoints on disk always load, and <c>--resume</c> finishes with the weights of a run that
/// was never interrupted, leaving no temporary file.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class KillTests(ITestOutputHelper output) : IDisposable
{
    private const int Epochs = 3;
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-kill-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public async Task Training_killed_at_any_point_resumes_to_the_weights_of_an_uninterrupted_run()
    {
        Skip.IfNot(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "SIGKILL is a Unix signal");
        var data = Path.Combine(_dir, "data");
        foreach (var (split, count) in new[] { ("train", 10), ("test", 2) })
        {
            foreach (var c in new[] { "circle", "square", "triangle" })
            {
                for (var i = 0; i < count; i++)
                {
                    TestImages.Write(Path.Combine(data, split, c, $"{i}.png"), 16, 16, seed: (c.Length * 40) + i);
                }
            }
        }

        // In float32: on a CPU with native bf16, Auto trains in bf16, whose kernel for layer4's first
        // convolution on these 1x1 maps gives other weights run to run (two uninterrupted runs differ).
        string[] Train(string outDir) =>
            ["train", "--model", "resnet18", "--dataset", "imagefolder", "--data", data, "--image-size", "16", "--epochs", $"{Epochs}",
             "--batch-size", "8", "--seed", "3", "--amp", "none", "--out", outDir];
        var straight = Path.Combine(_dir, "straight");
        Assert.Equal(0, await Cli(Train(straight)));
        using var reference = Checkpoint.LoadModel(Path.Combine(straight, "last.ckpt"));
        var expected = TrainingData.Weights(reference);

        foreach (var point in new[] { "mid-epoch", "during-write", "after-write" })
        {
            var run = Path.Combine(_dir, point);
            var last = Path.Combine(run, "last.ckpt");
            var seenTemporary = KillAt(point, Train(run), run, last);

            foreach (var checkpoint in new[] { last, Path.Combine(run, "best.ckpt") }.Where(File.Exists))
            {
                using var loaded = Checkpoint.LoadModel(checkpoint);
            }

            var resumeFrom = File.Exists(last) ? ["--resume", last] : Array.Empty<string>();
            Assert.Equal(0, await Cli([.. Train(run), .. resumeFrom]));
            using var resumed = Checkpoint.LoadModel(last);

            output.WriteLine($"{point}: killed with {(seenTemporary ? "a checkpoint write under way" : "no write under way")}, resumed from {(resumeFrom.Length > 0 ? "last.ckpt" : "the start")}");
            Assert.Equal(expected, TrainingData.Weights(resumed), new ToleranceComparer(1e-5));
            Assert.Empty(Directory.GetFiles(run, "*.tmp"));
        }
    }

    /// <summary>Starts the CLI in a child process and kills it at <paramref name="point"/>; returns whether a temporary file was present at the kill.</summary>
    private static bool KillAt(string point, string[] arguments, string run, string last)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(typeof(CnnClassify.Cli.CliApp).Assembly.Location);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        bool Temporary() => Directory.Exists(run) && Directory.EnumerateFiles(run, ".*.ckpt.*.tmp").Any();
        void WaitFor(Func<bool> condition)
        {
            while (!condition())
            {
                Assert.False(process.HasExited, $"training ended before the kill point {point}");
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"kill point {point} not reached");
                Thread.Sleep(1);
            }
        }

        WaitFor(() => File.Exists(last) && !Temporary());
        var firstWrite = File.GetLastWriteTimeUtc(last);
        switch (point)
        {
            case "during-write":
                WaitFor(Temporary);
                break;
            case "after-write":
                WaitFor(() => File.GetLastWriteTimeUtc(last) != firstWrite && !Temporary());
                break;
            default:
                Thread.Sleep(20);
                break;
        }

        var temporary = Temporary();
        process.Kill();
        process.WaitForExit();
        return temporary;
    }

    private static async Task<int> Cli(string[] arguments)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CnnClassify.Cli.CliApp.RunAsync(arguments, output, error);
        Assert.True(code == 0, $"{error}\n{output}");
        return code;
    }
}
