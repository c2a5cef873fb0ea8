using System.Diagnostics;
using System.Security.Cryptography;
using CnnClassify.Tests.Data;

namespace CnnClassify.Tests.Training;

/// <summary>A checkpoint write onto a nearly full filesystem: a small tmpfs in a private mount namespace.</summary>
[Collection(SerialTests.Name)]
public sealed class FullDiskTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-fulldisk-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public async Task A_checkpoint_write_on_a_full_disk_fails_with_a_clear_error_and_keeps_the_previous_checkpoint()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.UserName == "root" && File.Exists("/usr/bin/unshare"), "needs Linux, root and unshare to mount a small tmpfs in a private mount namespace");
        var data = Path.Combine(_dir, "data");
        foreach (var (split, count) in new[] { ("train", 8), ("test", 2) })
        {
            foreach (var c in new[] { "circle", "square", "triangle" })
            {
                for (var i = 0; i < count; i++)
                {
                    TestImages.Write(Path.Combine(data, split, c, $"{i}.png"), 16, 16, seed: (c.Length * 40) + i);
                }
            }
        }

        string[] Train(string outDir, int epochs) =>
            ["train", "--model", "simplecnn", "--dataset", "imagefolder", "--data", data, "--image-size", "16", "--epochs", $"{epochs}", "--batch-size", "8", "--out", outDir];
        using (var output = new StringWriter())
        using (var error = new StringWriter())
        {
            Assert.Equal(0, await CnnClassify.Cli.CliApp.RunAsync(Train(Path.Combine(_dir, "good"), 1), output, error));
        }

        var hashes = new[] { "last.ckpt", "best.ckpt" }.ToDictionary(name => name, name => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(_dir, "good", name)))));
        var disk = Path.Combine(_dir, "disk");
        Directory.CreateDirectory(disk);
        var cli = typeof(CnnClassify.Cli.CliApp).Assembly.Location;
        var resume = string.Join(' ', Train(disk, 2).Select(Quote)) + $" --resume {Quote(Path.Combine(disk, "last.ckpt"))}";
        var script = $"""
            set -e
            mount -t tmpfs -o size=6m tmpfs {Quote(disk)}
            cp {Quote(Path.Combine(_dir, "good"))}/*.ckpt {Quote(disk)}/
            avail=$(df -B1 --output=avail {Quote(disk)} | tail -n 1)
            head -c $((avail - 262144)) /dev/zero > {Quote(disk)}/filler
            set +e
            dotnet {Quote(cli)} {resume} 2>&1
            echo "exit=$?"
            cd {Quote(disk)} && sha256sum last.ckpt best.ckpt && ls -a
            """;
        var (code, text) = Run("/usr/bin/unshare", ["--mount", "--propagation", "unchanged", "/bin/sh", "-c", script]);

        Assert.True(code == 0, text);
        Assert.Contains("exit=1", text, StringComparison.Ordinal);
        Assert.Matches(@"error: Could not write '[^']*(last|best)\.ckpt': No space left on device", text);
        Assert.Contains("Its previous content is unchanged.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        foreach (var (name, hash) in hashes)
        {
            Assert.Contains($"{hash}  {name}", text, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(".tmp", text.Split("exit=")[1], StringComparison.Ordinal);
    }

    private static string Quote(string value) => $"'{value.Replace("'", "'\\''", StringComparison.Ordinal)}'";

    private static (int Code, string Output) Run(string fileName, string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }
}
