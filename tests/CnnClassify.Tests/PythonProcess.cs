using System.Diagnostics;

namespace CnnClassify.Tests;

/// <summary>Runs the Python that holds PyTorch (Debian's, inside the root made by eng/run) for reference data.</summary>
internal static class PythonProcess
{
    /// <summary>Debian's python3 where it exists, else the first on the path.</summary>
    public static string Python { get; } = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    /// <summary>Whether the tests run inside the Debian 13 root, where PyTorch must be present.</summary>
    public static bool InRoot => Environment.GetEnvironmentVariable("CNNCLASSIFY_IN_ROOT") == "1";

    /// <summary>Runs Python with <paramref name="arguments"/>; its exit code and its output and errors together.</summary>
    public static (int ExitCode, string Output) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(600_000))
            {
                process.Kill(entireProcessTree: true);
                return (-1, "timed out after 600 s");
            }

            return (process.ExitCode, output + error.Result);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }
}
