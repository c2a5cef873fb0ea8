using System.Buffers.Binary;
using System.Diagnostics;
using System.Reflection;

namespace CnnClassify.Tests.Samples;

/// <summary>
/// The main job (samples/FashionMnist) as a user runs it, on a small generated Fashion-MNIST:
/// what its output starts with, with output redirected and in a pseudo-terminal.
/// </summary>
public sealed class MainJobTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-mainjob-").FullName;

    public MainJobTests() => WriteFashionMnist(Path.Combine(_dir, "data"), train: 300, test: 100);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Redirected_the_job_starts_with_the_data_and_model_summary_and_prints_one_line_per_epoch()
    {
        var (exit, output, error) = Run(Sample("--data", Path.Combine(_dir, "data"), "--epochs", "2", "--out", Path.Combine(_dir, "run")));

        Assert.True(exit is 0 or 1, $"exit {exit}:\n{output}\n{error}");
        var lines = output.Split('\n');
        Assert.StartsWith($"Fashion-MNIST from {Path.Combine(_dir, "data")}: 270 train, 30 validation, 100 test images", lines[0]);
        Assert.StartsWith("Layer ", lines[1]);
        Assert.Contains(lines, l => l.StartsWith("Total params: 390,858", StringComparison.Ordinal));
        // Nothing from LibTorch (or anything else) on standard error, and no bar in a redirected run.
        Assert.Equal(string.Empty, error);
        Assert.DoesNotContain("NNPACK", output, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', output);
        Assert.Equal(2, lines.Count(l => l.StartsWith("epoch ", StringComparison.Ordinal)));
        Assert.Matches(@"(?m)^epoch 1/2: loss .* images/s \| \d+:\d\d$", output);
        Assert.Matches(@"(?m)^test accuracy \d+\.\d\d %", output);
        Assert.True(File.Exists(Path.Combine(_dir, "run", "report.html")));
    }

    [SkippableFact]
    public void In_a_terminal_the_job_draws_a_live_bar_with_loss_rate_and_time_left()
    {
        Skip.IfNot(File.Exists("/usr/bin/script"), "util-linux's script provides the pseudo-terminal.");
        var command = string.Join(' ', Sample("--data", Path.Combine(_dir, "data"), "--epochs", "2", "--out", Path.Combine(_dir, "tty")).Select(Quote));
        var start = new ProcessStartInfo("/usr/bin/script");
        foreach (var argument in new[] { "--quiet", "--flush", "--return", "--command", command, "/dev/null" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["TERM"] = "xterm-256color";
        var (exit, output, _) = Run(start);

        Assert.True(exit is 0 or 1, $"exit {exit}:\n{output}");
        Assert.Contains("\r\u001b[2Kepoch 1/2 [", output, StringComparison.Ordinal);
        Assert.Matches(@"epoch 2/2 \[#*\.*\] +\d/3 loss \d+\.\d{4} \| [\d,]+ img/s \| epoch \d+:\d\d left, run \d+:\d\d left", output);
        Assert.Matches(@"\r\u001b\[2Kepoch 2/2: loss ", output);
        Assert.DoesNotContain("NNPACK", output, StringComparison.Ordinal);
    }

    private static string Quote(string argument) => $"'{argument.Replace("'", "'\\''", StringComparison.Ordinal)}'";

    private static string[] Sample(params string[] arguments)
    {
        var configuration = typeof(MainJobTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var dll = Path.Combine(RepositoryPaths.Root, "samples", "FashionMnist", "bin", configuration, "net10.0", "FashionMnist.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing; build the solution first.");
        return ["dotnet", dll, .. arguments];
    }

    private static (int Exit, string Output, string Error) Run(string[] command)
    {
        var start = new ProcessStartInfo(command[0]);
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        return Run(start);
    }

    private static (int Exit, string Output, string Error) Run(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(300_000), "the main job did not finish in 300 s");
        return (process.ExitCode, output, error.Result);
    }

    // The four IDX files, raw: class c has a bright band across rows 2c to 2c + 3.
    private static void WriteFashionMnist(string directory, int train, int test)
    {
        Directory.CreateDirectory(directory);
        foreach (var (prefix, count) in new[] { ("train", train), ("t10k", test) })
        {
            var random = new Random(count);
            var pixels = new byte[count * 28 * 28];
            var labels = new byte[count];
            for (var i = 0; i < count; i++)
            {
                labels[i] = (byte)(i % 10);
                for (var p = 0; p < 28 * 28; p++)
                {
                    var row = p / 28;
                    pixels[(i * 784) + p] = (byte)(row >= 2 * labels[i] && row < (2 * labels[i]) + 4 ? 200 + random.Next(50) : random.Next(40));
                }
            }

            File.WriteAllBytes(Path.Combine(directory, $"{prefix}-images-idx3-ubyte"), Idx(0x0803, [count, 28, 28], pixels));
            File.WriteAllBytes(Path.Combine(directory, $"{prefix}-labels-idx1-ubyte"), Idx(0x0801, [count], labels));
        }
    }

    private static byte[] Idx(int magic, int[] shape, byte[] payload)
    {
        var bytes = new byte[4 + (4 * shape.Length) + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (var d = 0; d < shape.Length; d++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * d)), shape[d]);
        }

        payload.CopyTo(bytes, 4 + (4 * shape.Length));
        return bytes;
    }
}
