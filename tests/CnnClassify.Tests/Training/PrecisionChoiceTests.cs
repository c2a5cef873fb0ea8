using CnnClassify.Native;
using CnnClassify.Runtime;
using CnnClassify.Training;
using TorchSharp;

namespace CnnClassify.Tests.Training;

/// <summary>Precision.Auto follows the hardware: bf16 only where the CPU runs it natively.</summary>
public class PrecisionChoiceTests
{
    private static readonly CpuCapabilities Avx2Only = new() { Known = true, AtenCapability = "AVX2", Avx2 = true };

    private static readonly CpuCapabilities Avx512Bf16 = new() { Known = true, AtenCapability = "AVX512", Avx2 = true, Avx512 = true, Avx512Vnni = true, Avx512Bf16 = true };

    private static readonly CpuCapabilities Amx = Avx512Bf16 with { AmxTile = true };

    [Fact]
    public void Auto_runs_float32_on_a_CPU_without_native_bf16()
    {
        var choice = PrecisionChoice.For(Precision.Auto, DeviceType.CPU, Avx2Only);

        Assert.Equal(Precision.Fp32, choice.Precision);
        Assert.Contains("AVX2", choice.Reason);
        Assert.Null(choice.Warning);
    }

    [Fact]
    public void Auto_runs_bf16_on_AVX512_BF16_and_on_AMX()
    {
        Assert.Equal(Precision.Bf16, PrecisionChoice.For(Precision.Auto, DeviceType.CPU, Avx512Bf16).Precision);
        Assert.Equal(Precision.Bf16, PrecisionChoice.For(Precision.Auto, DeviceType.CPU, Amx).Precision);
    }

    [Fact]
    public void Auto_runs_float32_when_ATen_or_oneDNN_is_capped_below_bf16()
    {
        var atenCapped = Avx512Bf16 with { AtenCapability = "AVX2" };
        var oneDnnCapped = Avx512Bf16 with { OneDnnMaxIsa = "AVX2" };
        var oneDnnAllowed = Avx512Bf16 with { OneDnnMaxIsa = "avx512_core_bf16" };

        Assert.Equal(Precision.Fp32, PrecisionChoice.For(Precision.Auto, DeviceType.CPU, atenCapped).Precision);
        Assert.Equal(Precision.Fp32, PrecisionChoice.For(Precision.Auto, DeviceType.CPU, oneDnnCapped).Precision);
        Assert.Contains("oneDNN capped to AVX2", PrecisionChoice.For(Precision.Auto, DeviceType.CPU, oneDnnCapped).Reason);
        Assert.Equal(Precision.Bf16, PrecisionChoice.For(Precision.Auto, DeviceType.CPU, oneDnnAllowed).Precision);
    }

    [Fact]
    public void Auto_runs_float16_with_loss_scaling_on_CUDA()
    {
        Assert.Equal(Precision.Fp16, PrecisionChoice.For(Precision.Auto, DeviceType.CUDA, Avx2Only).Precision);
    }

    [Fact]
    public void An_explicit_bf16_on_a_CPU_that_emulates_it_still_runs_with_a_warning_saying_why()
    {
        var emulated = PrecisionChoice.For(Precision.Bf16, DeviceType.CPU, Avx2Only);
        var native = PrecisionChoice.For(Precision.Bf16, DeviceType.CPU, Avx512Bf16);

        Assert.Equal(Precision.Bf16, emulated.Precision);
        Assert.Contains("emulates bf16", emulated.Warning);
        Assert.Contains("8x slower", emulated.Warning);
        Assert.DoesNotContain('\n', emulated.Warning!);
        Assert.Null(native.Warning);
        Assert.Null(PrecisionChoice.For(Precision.Fp32, DeviceType.CPU, Avx2Only).Warning);
    }

    [Fact]
    public void The_trainer_resolves_auto_for_this_CPU_and_reports_the_choice()
    {
        using var model = new CnnClassify.Models.SimpleCnn(numClasses: 3, inChannels: 1);
        var logged = new List<(Microsoft.Extensions.Logging.LogLevel Level, string Message)>();
        var auto = Trainer.For(model).UsePrecision(Precision.Auto).UseLogger(new ListLogger(logged)).Build();
        var bf16 = Trainer.For(model).UsePrecision(Precision.Bf16).UseLogger(new ListLogger(logged)).Build();

        var expected = CpuCapabilities.Current.NativeBf16 ? Precision.Bf16 : Precision.Fp32;
        Assert.Equal(expected, auto.PrecisionChoice.Precision);
        Assert.Equal(Precision.Auto, auto.PrecisionChoice.Requested);
        Assert.Equal(Precision.Bf16, bf16.PrecisionChoice.Precision);
        var warnings = logged.Where(l => l.Level == Microsoft.Extensions.Logging.LogLevel.Warning).ToList();
        if (CpuCapabilities.Current.NativeBf16)
        {
            Assert.Empty(warnings);
        }
        else
        {
            Assert.Single(warnings);
            Assert.Contains("8x slower", warnings[0].Message);
        }
    }

    private sealed class ListLogger(List<(Microsoft.Extensions.Logging.LogLevel, string)> lines) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Add((logLevel, formatter(state, exception)));
    }
}
