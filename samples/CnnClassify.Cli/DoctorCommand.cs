using System.CommandLine;
using CnnClassify.Diagnostics;

namespace CnnClassify.Cli;

/// <summary>
/// <c>doctor</c>: one screen on what this machine gives CnnClassify, each line <c>ok</c> or a hint
/// (CPU capability as LibTorch reports it, threads, precision and layout defaults, versions,
/// backend, CUDA, Open MPI, Chromium, the weight cache and the dataset folders).
/// </summary>
internal static class DoctorCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("doctor", "Show what this machine gives CnnClassify: CPU capabilities, threads, precision and layout defaults, versions, CUDA, Open MPI, Chromium, the weight cache and dataset folders.");
        command.SetAction(_ =>
        {
            var checks = EnvironmentReport.Collect();
            var width = checks.Max(c => c.Name.Length);
            foreach (var check in checks)
            {
                output.WriteLine($"{(check.Ok ? "ok  " : "hint")}  {check.Name.PadRight(width)}  {check.Value}");
                if (check.Hint is { } hint)
                {
                    output.WriteLine($"      {new string(' ', width)}  {(check.Ok ? "note" : "hint")}: {hint}");
                }
            }

            var problems = checks.Count(c => !c.Ok);
            output.WriteLine(problems == 0 ? "Everything needed is in place." : $"{problems} hint(s) above; none of them stops CPU training.");
            return 0;
        });
        return command;
    }
}
