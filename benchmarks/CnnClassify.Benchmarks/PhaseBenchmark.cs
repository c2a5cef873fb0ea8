using System.Diagnostics;
using System.Globalization;
using CnnClassify.Models;
using CnnClassify.Native;
using CnnClassify.Runtime;
using CnnClassify.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Benchmarks;

/// <summary>
/// Where a training step's time goes: forward (under autocast for bf16), backward and the fused
/// Adam step, timed separately in milliseconds over one fixed batch, fp32 and bf16 taking their
/// steps in turns; the medians. With <c>--seconds S</c> it afterwards loops the chosen precision's
/// step for S seconds, so that <c>perf record -p PID</c> can sample it. <c>--model pyramid</c> is the
/// time-to-accuracy recipe's model.
/// </summary>
internal static class PhaseBenchmark
{
    public static void Run(string[] args)
    {
        var name = Arguments.Option(args, "--model", "resnet18");
        var size = int.Parse(Arguments.Option(args, "--size", "32"), CultureInfo.InvariantCulture);
        var batch = int.Parse(Arguments.Option(args, "--batch-size", "128"), CultureInfo.InvariantCulture);
        var steps = int.Parse(Arguments.Option(args, "--steps", "15"), CultureInfo.InvariantCulture);
        var seconds = double.Parse(Arguments.Option(args, "--seconds", "0"), CultureInfo.InvariantCulture);
        var loop = Arguments.Option(args, "--loop", "bf16");
        var channelsLast = args.Contains("--channels-last");
        if (args.Contains("--peak"))
        {
            MatrixPeak();
        }

        var channels = name is "simplecnn" or "pyramid" ? 1 : 3;

        torch.manual_seed(0);
        using var images = torch.rand([batch, channels, size, size]);
        using var input = channelsLast ? images.ToChannelsLast() : images.alias();
        using var labels = torch.randint(0, 10, [batch], dtype: ScalarType.Int64);
        var series = new[] { Precision.Fp32, Precision.Bf16 }.Select(precision => Series(name, channels, size, channelsLast, precision)).ToArray();
        Console.WriteLine($"Step phases, {name} {channels}x{size}x{size}, batch {batch}, {(channelsLast ? "channels-last" : "contiguous")} model and batch, torch threads {torch.get_num_threads()}, medians of {steps} steps (ms)");
        Console.WriteLine("| Precision | Forward | Backward | Adam step | Total | images/s |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var s in series)
        {
            s.Step(input, labels);
        }

        var times = Enumerable.Range(0, steps).Select(_ => series.Select(s => s.Step(input, labels)).ToArray()).ToList();
        for (var i = 0; i < series.Length; i++)
        {
            double Median(Func<(double Forward, double Backward, double Step), double> pick) => times.Select(t => pick(t[i])).Order().ElementAt(steps / 2);
            var (forward, backward, step) = (Median(t => t.Forward), Median(t => t.Backward), Median(t => t.Step));
            var total = Median(t => t.Forward + t.Backward + t.Step);
            Console.WriteLine($"| {series[i].Precision} | {forward:F1} | {backward:F1} | {step:F1} | {total:F1} | {batch * 1000 / total:F0} |");
        }

        if (seconds > 0)
        {
            var chosen = series.Single(s => s.Precision.ToString().Equals(loop, StringComparison.OrdinalIgnoreCase));
            Console.WriteLine($"Looping {chosen.Precision} steps for {seconds} s in process {Environment.ProcessId}");
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                chosen.Step(input, labels);
            }
        }
    }

    // What LibTorch's matrix products reach on this CPU, the ceiling for convolutions: 2048^3
    // products in float32 and bfloat16, medians of five.
    private static void MatrixPeak()
    {
        const int N = 2048;
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            using var a = torch.randn([N, N]).to(dtype);
            using var b = torch.randn([N, N]).to(dtype);
            a.mm(b).Dispose();
            var times = Enumerable.Range(0, 5).Select(_ =>
            {
                var clock = Stopwatch.StartNew();
                a.mm(b).Dispose();
                return clock.Elapsed.TotalSeconds;
            }).Order().ToList();
            Console.WriteLine($"matrix product {N}^3 in {dtype}: {2.0 * N * N * N / times[2] / 1e9:F0} GFLOP/s");
        }
    }

    private static PhaseSeries Series(string name, int channels, int size, bool channelsLast, Precision precision)
    {
        torch.manual_seed(1);
        // "pyramid": the time-to-accuracy recipe's model (width 32, 28x28 input).
        ClassificationModel model = name == "pyramid"
            ? TimeToAccuracy.Architecture("pyramid", 32).Build()
            : ModelZoo.Create(name, new ModelOptions { NumClasses = 10, InChannels = channels, ImageSize = size });
        if (channelsLast)
        {
            model.ToChannelsLast();
        }

        model.train();
        var optimizer = OptimizerSpec.Adam().Create([new ParameterGroup("all", [.. model.parameters()], 1e-3)]);
        return new PhaseSeries(model, optimizer, precision);
    }

    private sealed record PhaseSeries(ClassificationModel Model, optim.Optimizer Optimizer, Precision Precision)
    {
        public (double Forward, double Backward, double Step) Step(Tensor input, Tensor labels)
        {
            using var scope = torch.NewDisposeScope();
            var clock = Stopwatch.StartNew();
            Tensor loss;
            using (Precision == Precision.Bf16 ? Autocast.Enable(CPU, ScalarType.BFloat16) : null)
            {
                loss = nn.functional.cross_entropy(Model.call(input), labels);
            }

            loss.item<float>();
            var forward = clock.Elapsed.TotalMilliseconds;
            Optimizer.zero_grad();
            loss.backward();
            var backward = clock.Elapsed.TotalMilliseconds - forward;
            Optimizer.step();
            var step = clock.Elapsed.TotalMilliseconds - forward - backward;
            return (forward, backward, step);
        }
    }
}
