using System.Diagnostics;
using CnnClassify.Native;
using CnnClassify.Runtime;

namespace CnnClassify.Tests.Diagnostics;

/// <summary>The CPU as LibTorch reports it, checked against PyTorch's own view of the same machine.</summary>
public class CpuCapabilitiesTests
{
    [SkippableFact]
    public void The_feature_flags_equal_what_PyTorch_reads_from_the_same_CPU()
    {
        var (code, output) = PythonProcess.Run("-c",
            "import torch; c = torch._C._cpu; print(*[int(f()) for f in (c._is_avx2_supported, c._is_avx512_supported, c._is_avx512_vnni_supported, c._is_avx512_bf16_supported, c._is_amx_tile_supported, c._is_amx_fp16_supported)])");
        Skip.If(code != 0 && !PythonProcess.InRoot, $"PyTorch is not available outside the Debian 13 root: {output}");
        Assert.True(code == 0, output);

        var cpu = CpuCapabilities.Current;
        var expected = output.Trim().Split(' ').Select(f => f == "1").ToArray();
        Assert.True(cpu.Known);
        Assert.Equal(expected, new[] { cpu.Avx2, cpu.Avx512, cpu.Avx512Vnni, cpu.Avx512Bf16, cpu.AmxTile, cpu.AmxFp16 });
        Assert.Equal(cpu.Avx512 ? "AVX512" : cpu.Avx2 ? "AVX2" : "DEFAULT", cpu.AtenCapability);
    }

    [Theory]
    [InlineData("default", "DEFAULT")]
    [InlineData("avx2", "AVX2")]
    public void ATEN_CPU_CAPABILITY_caps_the_kernels_that_doctor_reports_and_auto_then_picks_float32(string cap, string reported)
    {
        var (code, output) = Doctor(("ATEN_CPU_CAPABILITY", cap));

        Assert.Equal(0, code);
        Assert.Matches($@"(?m)^ok +CPU capability +{reported} kernels \(", output);
        Assert.Matches($@"(?m)^ok +Precision \(auto\) +fp32 \(auto: {reported} kernels", output);
    }

    internal static (int Code, string Output) Doctor(params (string Name, string Value)[] environment)
    {
        var cli = typeof(CnnClassify.Cli.CliApp).Assembly.Location;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(cli);
        start.ArgumentList.Add("doctor");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "doctor did not finish in 60 s");
        }

        return (process.ExitCode, output + error.Result);
    }
}
