using System.Diagnostics;

namespace CnnClassify.Tests.Pretrained;

/// <summary>
/// Runs pretrained_reference.py once and holds its output folder. Where Python with torchvision is
/// missing the tests skip with the reason; inside the Debian 13 root made by eng/run
/// (CNNCLASSIFY_IN_ROOT=1) it must be present, so there they fail instead.
/// </summary>
public sealed class PretrainedReference : IDisposable
{
    public PretrainedReference()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("cnnclassify-pretrained-").FullName;
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(RepositoryPaths.Combine("tests", "CnnClassify.Tests", "Pretrained", "pretrained_reference.py"));
        start.ArgumentList.Add(Directory);
        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit(600_000);
            if (process.ExitCode != 0)
            {
                UnavailableReason = $"the torchvision reference could not be made with {python} (exit {process.ExitCode}): {(output + error.Result).Trim().Split('\n').LastOrDefault()}";
            }
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            UnavailableReason = $"{python} cannot run: {ex.Message}";
        }

        if (UnavailableReason is not null && Environment.GetEnvironmentVariable("CNNCLASSIFY_IN_ROOT") == "1")
        {
            throw new InvalidOperationException(UnavailableReason);
        }
    }

    public string Directory { get; }

    public string? UnavailableReason { get; }

    public string PathOf(params string[] parts) => Path.Combine([Directory, .. parts]);

    public void SkipIfUnavailable() => Skip.If(UnavailableReason is not null, UnavailableReason);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
