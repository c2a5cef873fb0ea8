using System.Diagnostics;
using System.Runtime.Versioning;

namespace CnnClassify.Tests.Foundation;

/// <summary>Behaviour of <c>eng/run</c>, the runner that gives TorchSharp a new-enough libstdc++.</summary>
public class EngRunTests
{
    private static readonly string Script = RepositoryPaths.Combine("eng", "run");

    [Fact]
    public void Passes_arguments_through_unchanged_and_returns_the_exit_code()
    {
        var result = Run([Script, "sh", "-c", "printf '%s|' \"$@\"; pwd; exit 7", "sh", "a b", "", "c*"],
            workingDirectory: Path.GetTempPath());

        Assert.Equal(7, result.ExitCode);
        Assert.Equal($"a b||c*|{Path.GetFullPath(Path.GetTempPath()).TrimEnd('/')}\n", result.StdOut);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    [SupportedOSPlatform("linux")]
    public void Host_that_cannot_build_a_root_gets_one_clear_error_and_a_nonzero_exit(bool fromPrivateFolder)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "other hosts always run commands natively");

        // The script as it sits in this clone, or in a folder only its owner may enter, as a clone in /root is.
        var source = Script;
        using var scratch = new ScratchFolder();
        if (fromPrivateFolder)
        {
            var clone = Path.Combine(scratch.Path, "private clone");
            Directory.CreateDirectory(Path.Combine(clone, "eng"));
            File.SetUnixFileMode(clone, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            source = Path.Combine(clone, "eng", "run");
            File.Copy(Script, source);
        }

        // Force the Debian 13 root path, as an unprivileged user, with no root present.
        var missingRoot = Path.Combine(Path.GetTempPath(), $"cnnclassify-no-root-{Guid.NewGuid():N}");
        var asUnprivileged = Environment.UserName == "root"
            ? new[] { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups" }
            : [];
        string[] command = [.. asUnprivileged, "env", "CNNCLASSIFY_FORCE_ROOT=1", $"CNNCLASSIFY_ROOTFS={missingRoot}", "bash", ReadableCopy(source, scratch.Path), "true"];

        var result = Run(command, workingDirectory: "/");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(string.Empty, result.StdOut);
        Assert.StartsWith("eng/run: this host cannot load TorchSharp 0.107", result.StdErr);
        Assert.Contains("GLIBCXX_3.4.32", result.StdErr);
        Assert.Contains("Ubuntu 24.04+, Debian 13+, Fedora 39+, Windows x64, macOS arm64", result.StdErr);
        Assert.False(Directory.Exists(missingRoot));
    }

    /// <summary>
    /// A copy of <paramref name="script"/> that any user can read, in a folder any user can enter:
    /// the clone itself may sit in a folder only its owner may enter (root's home is mode 0700).
    /// </summary>
    [SupportedOSPlatform("linux")]
    private static string ReadableCopy(string script, string scratch)
    {
        var everyone = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        var folder = Path.Combine(scratch, "readable");
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(scratch, everyone);
        File.SetUnixFileMode(folder, everyone);
        var copy = Path.Combine(folder, "run");
        File.Copy(script, copy, overwrite: true);
        File.SetUnixFileMode(copy, everyone);
        return copy;
    }

    /// <summary>A temporary folder, removed with everything in it.</summary>
    [SupportedOSPlatform("linux")]
    private sealed class ScratchFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("cnnclassify-engrun-").FullName;

        public void Dispose()
        {
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.Delete(Path, recursive: true);
        }
    }

    private static (int ExitCode, string StdOut, string StdErr) Run(string[] command, string workingDirectory)
    {
        var start = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdErr = process.StandardError.ReadToEndAsync();
        var stdOut = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), $"{string.Join(' ', command)} did not finish within 60 s.");
        return (process.ExitCode, stdOut, stdErr.Result);
    }
}
