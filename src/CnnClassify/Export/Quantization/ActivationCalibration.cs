using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Export;

/// <summary>
/// Observes the tensors to be quantized while the float graph runs on the calibration images, and
/// turns what it saw into one range per tensor by the chosen <see cref="CalibrationMethod"/>.
/// </summary>
internal static class ActivationCalibration
{
    /// <summary>Histogram bins over a tensor's observed range, as TensorRT and ONNX Runtime use.</summary>
    internal const int Bins = 2048;

    /// <summary>The levels the entropy search quantizes a candidate distribution to.</summary>
    internal const int Levels = 128;

    /// <summary>The calibrated range of each of <paramref name="tensors"/>, and how many images were used.</summary>
    public static (Dictionary<string, (float Min, float Max)> Ranges, int Images, Dictionary<string, long> Areas) Ranges(
        GraphProto graph, string input, IReadOnlySet<string> tensors, Int8Quantization options)
    {
        using var runner = new OnnxGraphRunner(graph);
        // [C, H, W] of one image, from the graph's input [batch, C, H, W].
        long[] image = [.. graph.Input[0].Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue)];
        var extremes = new Dictionary<string, (float Min, float Max)>(StringComparer.Ordinal);
        // Each feature map's height times width, which integer average pooling divides by.
        var areas = new Dictionary<string, long>(StringComparer.Ordinal);
        var images = Run(runner, input, options, image, (name, value) =>
        {
            if (value.dim() == 4)
            {
                areas[name] = value.shape[2] * value.shape[3];
            }

            if (tensors.Contains(name))
            {
                var (low, high) = (value.min().item<float>(), value.max().item<float>());
                extremes[name] = extremes.TryGetValue(name, out var seen) ? (Math.Min(seen.Min, low), Math.Max(seen.Max, high)) : (low, high);
            }
        });
        var missing = tensors.FirstOrDefault(name => !extremes.ContainsKey(name));
        if (missing is not null)
        {
            throw new InvalidOperationException($"Calibration never computed tensor '{missing}'; the graph does not reach it from its input.");
        }

        if (options.Method == CalibrationMethod.MinMax)
        {
            return (extremes, images, areas);
        }

        // The second pass counts values into a histogram over each tensor's full range: raw
        // values for a percentile, absolute values for the entropy search.
        var absolute = options.Method == CalibrationMethod.Entropy;
        var histograms = tensors.ToDictionary(name => name, _ => new long[Bins], StringComparer.Ordinal);
        Run(runner, input, options, image, (name, value) =>
        {
            if (histograms.TryGetValue(name, out var counts))
            {
                var (low, high) = extremes[name];
                var (start, end) = absolute ? (0f, Math.Max(Math.Abs(low), Math.Abs(high))) : (low, high);
                Count(absolute ? value.abs() : value, start, end, counts);
            }
        });

        var ranges = new Dictionary<string, (float Min, float Max)>(StringComparer.Ordinal);
        foreach (var (name, (low, high)) in extremes)
        {
            var counts = histograms[name];
            if (absolute)
            {
                var threshold = EntropyThreshold(counts, Math.Max(Math.Abs(low), Math.Abs(high)));
                ranges[name] = (Math.Max(low, -threshold), Math.Min(high, threshold));
            }
            else
            {
                ranges[name] = PercentileRange(counts, low, high, options.Percentile);
            }
        }

        return (ranges, images, areas);
    }

    /// <summary>
    /// The clipping threshold of a histogram of absolute values over [0, <paramref name="top"/>]:
    /// for each candidate number of bins i from 128 to 2,048, the first i bins (the rest added to the
    /// last) are compared with the same merged into 128 levels and spread back over their non-empty
    /// bins; the i with the smallest Kullback–Leibler divergence gives (i + 0.5) bin widths.
    /// </summary>
    internal static float EntropyThreshold(long[] counts, float top)
    {
        var bins = counts.Length;
        if (top <= 0 || counts.All(c => c == 0))
        {
            return top;
        }

        var width = top / bins;
        var best = bins;
        var bestDivergence = double.PositiveInfinity;
        var reference = new double[bins];
        var expanded = new double[bins];
        for (var i = Levels; i <= bins; i++)
        {
            double outliers = 0;
            for (var j = i; j < bins; j++)
            {
                outliers += counts[j];
            }

            for (var j = 0; j < i; j++)
            {
                reference[j] = counts[j];
            }

            reference[i - 1] += outliers;

            // Merge the i bins into 128 levels (the last level takes the remainder), then spread
            // each level's total evenly over the bins that are not empty in the reference.
            var perLevel = i / Levels;
            for (var level = 0; level < Levels; level++)
            {
                var start = level * perLevel;
                var end = level == Levels - 1 ? i : start + perLevel;
                double total = 0;
                var filled = 0;
                for (var j = start; j < end; j++)
                {
                    total += counts[j];
                    filled += reference[j] != 0 ? 1 : 0;
                }

                for (var j = start; j < end; j++)
                {
                    expanded[j] = reference[j] != 0 ? total / filled : 0;
                }
            }

            var divergence = Divergence(reference, expanded, i);
            if (divergence < bestDivergence)
            {
                (bestDivergence, best) = (divergence, i);
            }
        }

        return (float)((best + 0.5) * width);
    }

    /// <summary>The values at <paramref name="percentile"/> and 100 − <paramref name="percentile"/> of a histogram of raw values over [low, high].</summary>
    internal static (float Min, float Max) PercentileRange(long[] counts, float low, float high, double percentile)
    {
        var total = counts.Sum();
        if (total == 0 || high <= low)
        {
            return (low, high);
        }

        var width = (high - low) / counts.Length;
        var tail = total * (1 - (percentile / 100));
        long below = 0;
        var first = 0;
        while (first < counts.Length - 1 && below + counts[first] <= tail)
        {
            below += counts[first++];
        }

        long above = 0;
        var last = counts.Length - 1;
        while (last > first && above + counts[last] <= tail)
        {
            above += counts[last--];
        }

        return (Math.Max(low, low + (first * width)), Math.Min(high, low + ((last + 1) * width)));
    }

    // KL(P || Q) of the first n bins, each normalised to sum to one; a bin of P that Q leaves empty
    // (which the spreading above never does for a non-empty histogram bin) counts as a large divergence.
    private static double Divergence(double[] p, double[] q, int n)
    {
        double sumP = 0, sumQ = 0;
        for (var j = 0; j < n; j++)
        {
            sumP += p[j];
            sumQ += q[j];
        }

        if (sumP == 0 || sumQ == 0)
        {
            return double.PositiveInfinity;
        }

        double divergence = 0;
        for (var j = 0; j < n; j++)
        {
            if (p[j] == 0)
            {
                continue;
            }

            var pj = p[j] / sumP;
            var qj = q[j] / sumQ;
            divergence += qj == 0 ? pj * 30 : pj * Math.Log(pj / qj);
        }

        return divergence;
    }

    // Adds value's elements to counts, bins of equal width over [start, end]; values past either
    // end go to the outermost bins.
    private static void Count(Tensor value, float start, float end, long[] counts)
    {
        using var scope = torch.NewDisposeScope();
        var bins = counts.Length;
        using var origin = torch.tensor(start);
        using var perBin = torch.tensor(end > start ? bins / (end - start) : 0f);
        using var first = torch.tensor(0f);
        using var lastBin = torch.tensor((float)(bins - 1));
        var index = value.flatten().sub(origin).mul(perBin).floor().clamp(first, lastBin).to(ScalarType.Int64);
        var tally = torch.bincount(index, minlength: bins).data<long>().ToArray();
        for (var i = 0; i < bins; i++)
        {
            counts[i] += tally[i];
        }
    }

    private static int Run(OnnxGraphRunner runner, string input, Int8Quantization options, long[] image, Action<string, Tensor> observe)
    {
        var used = 0;
        foreach (var batch in options.Calibration.Epoch(0))
        {
            using (batch)
            {
                using var scope = torch.NewDisposeScope();
                var take = (int)Math.Min(batch.Count, options.Images - used);
                if (!batch.Images.shape.Skip(1).SequenceEqual(image))
                {
                    throw new ArgumentException(
                        $"Int8 quantization: the calibration loader gives images of {string.Join("x", batch.Images.shape.Skip(1))}, but the model takes {string.Join("x", image)}; calibrate with the model's own preprocessing (Configuration.EvalTransform()).",
                        nameof(options));
                }

                var images = batch.Images.narrow(0, 0, take).to(ScalarType.Float32).cpu();
                runner.Run(new Dictionary<string, Tensor> { [input] = images }, observe);
                used += take;
            }

            if (used >= options.Images)
            {
                break;
            }
        }

        if (used == 0)
        {
            throw new ArgumentException("Int8 quantization's calibration loader gave no images.", nameof(options));
        }

        return used;
    }
}
