using CnnClassify.Cli;
using CnnClassify.Native;
using CnnClassify.Runtime;
using CnnClassify.Training;

namespace CnnClassify.Tests.Cli;

/// <summary><c>cnnclassify doctor</c>: one screen, each line ok or a hint, true to this machine.</summary>
public class DoctorTests
{
    [Fact]
    public async Task Doctor_prints_one_status_line_per_check_with_the_CPU_and_the_precision_auto_picks()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await CliApp.RunAsync(["doctor"], output, error);

        Assert.Equal(0, code);
        Assert.Equal(string.Empty, error.ToString());
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToList();
        var checks = lines.Where(l => !l.StartsWith(' ')).SkipLast(1).ToList();
        Assert.All(checks, line => Assert.Matches(@"^(ok  |hint)  \S", line));
        Assert.All(lines.Where(l => l.StartsWith(' ')), line => Assert.Matches(@"^ +(note|hint): \S", line));
        var auto = PrecisionChoice.For(Precision.Auto, TorchSharp.torch.CPU);
        Assert.Contains(checks, l => l.Contains("CPU capability", StringComparison.Ordinal) && l.EndsWith(CpuCapabilities.Current.Describe(), StringComparison.Ordinal));
        Assert.Contains(checks, l => l.Contains("Precision (auto)", StringComparison.Ordinal) && l.EndsWith(auto.ToString(), StringComparison.Ordinal));
        foreach (var name in new[] { "Threads", "LibTorch", "LibTorch backend", "CUDA", "Open MPI", "Chromium", "Weight cache", "Dataset fashion-mnist" })
        {
            Assert.Contains(checks, l => System.Text.RegularExpressions.Regex.IsMatch(l, $@"^(ok  |hint)  {System.Text.RegularExpressions.Regex.Escape(name)} +\S"));
        }
    }

    [Fact]
    public void The_README_shows_the_doctor_screen()
    {
        var readme = File.ReadAllText(RepositoryPaths.Combine("README.md"));

        Assert.Contains("cnnclassify doctor", readme);
        Assert.Matches(@"(?m)^ok +CPU capability +\S", readme);
        Assert.Matches(@"(?m)^ok +Precision \(auto\) +(fp32|bf16) \(auto: ", readme);
    }
}
