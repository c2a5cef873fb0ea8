using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// ONNX (opset 17) translations of the TorchSharp layers this library's models are made of, in
/// evaluation mode, and small helpers that layers share.
/// </summary>
internal static class OnnxOperators
{
    /// <summary>Writes <paramref name="module"/> and returns its output's name, or <see langword="null"/> for a module it does not know.</summary>
    public static string? Write(OnnxGraph graph, nn.Module<Tensor, Tensor> module, string path, OnnxValue input) => module switch
    {
        Sequential sequential => Chain(graph, sequential, path, input),
        Conv2d conv => Conv(graph, conv, path, input.Name),
        Linear linear => Gemm(graph, linear, path, input),
        BatchNorm norm when input.Sample.dim() >= 2 => BatchNorm(graph, norm, path, input.Name),
        ReLU => graph.Node("Relu", [input.Name], path),
        ReLU6 => Clip(graph, input.Name, path, 0, 6),
        Tanh => graph.Node("Tanh", [input.Name], path),
        Sigmoid => graph.Node("Sigmoid", [input.Name], path),
        SiLU => Swish(graph, input.Name, path),
        GELU gelu => Gelu(graph, gelu, input.Name, path),
        Hardswish => graph.Node("HardSwish", [input.Name], path),
        Hardsigmoid => graph.Node("HardSigmoid", [input.Name], path, ("alpha", 1f / 6), ("beta", 0.5f)),
        LayerNorm norm when norm.normalized_shape.Length == 1 => LayerNormalization(graph, norm, path, input.Name),
        Dropout or Dropout2d or Identity => input.Name,
        MaxPool2d pool => MaxPool(graph, pool, path, input.Name),
        AvgPool2d pool when pool.divisor_override is null => AveragePool(graph, pool, path, input.Name),
        AdaptiveAvgPool2d pool => AdaptivePool(graph, "GlobalAveragePool", "AveragePool", pool.output_size, path, input),
        AdaptiveMaxPool2d pool => AdaptivePool(graph, "GlobalMaxPool", "MaxPool", pool.output_size, path, input),
        Flatten flatten => FlattenFrom(graph, flatten.start_dim, flatten.end_dim, path, input),
        _ => null,
    };

    /// <summary>The children of <paramref name="sequential"/> one after the other.</summary>
    public static string Chain(OnnxGraph graph, Sequential sequential, string path, OnnxValue input)
    {
        var x = input;
        foreach (var (name, child) in sequential.named_children())
        {
            x = graph.Apply((nn.Module<Tensor, Tensor>)child, OnnxGraph.Child(path, name), x);
        }

        return x.Name;
    }

    /// <summary><c>x.flatten(1)</c>.</summary>
    public static string Flatten(OnnxGraph graph, string input, string path) => graph.Node("Flatten", [input], path, ("axis", 1L));

    /// <summary><c>x.mean([2, 3])</c>: a global average pool and a flatten, [N, C, H, W] to [N, C].</summary>
    public static OnnxValue SpatialMean(OnnxGraph graph, OnnxValue input, string path)
    {
        var mean = Flatten(graph, graph.Node("GlobalAveragePool", [input.Name], path), path);
        using var noGrad = torch.no_grad();
        return new OnnxValue(mean, input.Sample.mean([2L, 3L]));
    }

    /// <summary><c>x * sigmoid(x)</c> (SiLU), which opset 17 has no single operator for.</summary>
    public static string Swish(OnnxGraph graph, string input, string path) =>
        graph.Node("Mul", [input, graph.Node("Sigmoid", [input], path)], path);

    /// <summary>Clamps to [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static string Clip(OnnxGraph graph, string input, string path, float min, float max) =>
        graph.Node("Clip", [input, graph.Constant($"{path}.min", [min]), graph.Constant($"{path}.max", [max])], path);

    private static string Conv(OnnxGraph graph, Conv2d conv, string path, string input)
    {
        if (conv.padding_mode != PaddingModes.Zeros)
        {
            throw new NotSupportedException($"ONNX export writes zero-padded convolutions only; layer '{path}' pads in mode {conv.padding_mode}.");
        }

        var kernel = conv.kernel_size;
        var dilation = conv.dilation;
        long[] pads;
        if (conv.padding_type is TorchSharp.Padding.Same)
        {
            // As LibTorch: the total padding is dilation * (kernel - 1), the smaller half first.
            var total = kernel.Select((k, i) => dilation[i] * (k - 1)).ToArray();
            pads = [total[0] / 2, total[1] / 2, total[0] - (total[0] / 2), total[1] - (total[1] / 2)];
        }
        else
        {
            var padding = conv.padding ?? [0, 0];
            pads = [padding[0], padding[1], padding[0], padding[1]];
        }

        var inputs = new List<string> { input, graph.Weight($"{Prefix(path)}weight", conv.weight) };
        if (conv.bias is { } bias)
        {
            inputs.Add(graph.Weight($"{Prefix(path)}bias", bias));
        }

        return graph.Node("Conv", inputs, path,
            ("kernel_shape", kernel), ("strides", conv.stride), ("pads", pads), ("dilations", dilation), ("group", conv.groups));
    }

    private static string Gemm(OnnxGraph graph, Linear linear, string path, OnnxValue input)
    {
        var weight = graph.Weight($"{Prefix(path)}weight", linear.weight);
        var bias = linear.bias is { } b ? graph.Weight($"{Prefix(path)}bias", b) : null;
        if (input.Sample.dim() == 2)
        {
            return graph.Node("Gemm", bias is null ? [input.Name, weight] : [input.Name, weight, bias], path, ("transB", 1L));
        }

        // A linear layer over the last dimension of a higher-rank input: x @ W^T (+ b).
        var transposed = graph.Node("Transpose", [weight], $"{path}.weight", ("perm", new long[] { 1, 0 }));
        var product = graph.Node("MatMul", [input.Name, transposed], path);
        return bias is null ? product : graph.Node("Add", [product, bias], path);
    }

    private static string BatchNorm(OnnxGraph graph, BatchNorm norm, string path, string input)
    {
        if (norm.running_mean is null || norm.running_var is null)
        {
            throw new NotSupportedException($"ONNX export needs running statistics; BatchNorm layer '{path}' does not track them.");
        }

        var features = norm.running_mean.shape[0];
        var scale = norm.weight is { } w ? graph.Weight($"{Prefix(path)}weight", w) : graph.Constant($"{path}.ones", Enumerable.Repeat(1f, (int)features).ToArray(), features);
        var shift = norm.bias is { } b ? graph.Weight($"{Prefix(path)}bias", b) : graph.Constant($"{path}.zeros", new float[features], features);
        return graph.Node("BatchNormalization",
            [input, scale, shift, graph.Weight($"{Prefix(path)}running_mean", norm.running_mean), graph.Weight($"{Prefix(path)}running_var", norm.running_var)],
            path, ("epsilon", norm.eps));
    }

    private static string LayerNormalization(OnnxGraph graph, LayerNorm norm, string path, string input)
    {
        var features = norm.normalized_shape[0];
        var scale = norm.weight is { } w ? graph.Weight($"{Prefix(path)}weight", w) : graph.Constant($"{path}.ones", Enumerable.Repeat(1f, (int)features).ToArray(), features);
        var shift = norm.bias is { } b ? graph.Weight($"{Prefix(path)}bias", b) : graph.Constant($"{path}.zeros", new float[features], features);
        return graph.Node("LayerNormalization", [input, scale, shift], path, ("axis", -1L), ("epsilon", (float)norm.eps));
    }

    private static string Gelu(OnnxGraph graph, GELU gelu, string input, string path)
    {
        if (gelu.approximate == GELU.Approximate.tanh)
        {
            // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
            var cube = graph.Node("Mul", [input, graph.Node("Mul", [input, input], path)], path);
            var inner = graph.Node("Add", [input, graph.Node("Mul", [cube, graph.Constant($"{path}.c", [0.044715f])], path)], path);
            var tanh = graph.Node("Tanh", [graph.Node("Mul", [inner, graph.Constant($"{path}.k", [(float)Math.Sqrt(2 / Math.PI)])], path)], path);
            return HalfTimesOnePlus(graph, input, tanh, path);
        }

        // 0.5 x (1 + erf(x / sqrt(2)))
        var erf = graph.Node("Erf", [graph.Node("Div", [input, graph.Constant($"{path}.sqrt2", [(float)Math.Sqrt(2)])], path)], path);
        return HalfTimesOnePlus(graph, input, erf, path);
    }

    private static string HalfTimesOnePlus(OnnxGraph graph, string x, string t, string path)
    {
        var onePlus = graph.Node("Add", [t, graph.Constant($"{path}.one", [1f])], path);
        return graph.Node("Mul", [graph.Node("Mul", [x, graph.Constant($"{path}.half", [0.5f])], path), onePlus], path);
    }

    private static string MaxPool(OnnxGraph graph, MaxPool2d pool, string path, string input)
    {
        var padding = pool.padding ?? [0, 0];
        return graph.Node("MaxPool", [input], path,
            ("kernel_shape", pool.kernel_size), ("strides", pool.stride ?? pool.kernel_size), ("pads", new[] { padding[0], padding[1], padding[0], padding[1] }),
            ("dilations", pool.dilation ?? [1, 1]), ("ceil_mode", pool.ceil_mode ? 1L : 0L));
    }

    private static string AveragePool(OnnxGraph graph, AvgPool2d pool, string path, string input)
    {
        var padding = pool.padding ?? [0, 0];
        return graph.Node("AveragePool", [input], path,
            ("kernel_shape", pool.kernel_size), ("strides", pool.stride ?? pool.kernel_size), ("pads", new[] { padding[0], padding[1], padding[0], padding[1] }),
            ("ceil_mode", pool.ceil_mode ? 1L : 0L), ("count_include_pad", pool.count_include_pad ? 1L : 0L));
    }

    // ONNX has no adaptive pooling. At the export's fixed input size it is a global pool, or a
    // plain pool when the output size divides the input's; other average pools are linear maps,
    // written as two matrix products with LibTorch's windows [floor(i in / out), ceil((i + 1) in / out)).
    private static string AdaptivePool(OnnxGraph graph, string global, string windowed, long[] outputSize, string path, OnnxValue input)
    {
        var (height, width) = (input.Sample.shape[^2], input.Sample.shape[^1]);
        var (outHeight, outWidth) = (outputSize[0], outputSize.Length > 1 ? outputSize[1] : outputSize[0]);
        if (outHeight == 1 && outWidth == 1)
        {
            return graph.Node(global, [input.Name], path);
        }

        if (height == outHeight && width == outWidth)
        {
            return input.Name;
        }

        if (height % outHeight == 0 && width % outWidth == 0)
        {
            long[] window = [height / outHeight, width / outWidth];
            return graph.Node(windowed, [input.Name], path, ("kernel_shape", window), ("strides", window));
        }

        if (windowed != "AveragePool")
        {
            throw new NotSupportedException(
                $"ONNX has no adaptive pooling, and layer '{path}' max-pools a {height}x{width} map to {outHeight}x{outWidth}, which does not divide it; export at an input size whose maps divide evenly.");
        }

        var rows = graph.Constant($"{path}.rows", AveragingMatrix(outHeight, height, transpose: false), outHeight, height);
        var columns = graph.Constant($"{path}.columns", AveragingMatrix(outWidth, width, transpose: true), width, outWidth);
        return graph.Node("MatMul", [graph.Node("MatMul", [rows, input.Name], path), columns], path);
    }

    // [outSize, inSize] (or its transpose): row i averages the inputs of adaptive window i.
    private static float[] AveragingMatrix(long outSize, long inSize, bool transpose)
    {
        var matrix = new float[outSize * inSize];
        for (var i = 0L; i < outSize; i++)
        {
            var start = i * inSize / outSize;
            var end = (((i + 1) * inSize) + outSize - 1) / outSize;
            for (var j = start; j < end; j++)
            {
                matrix[transpose ? (j * outSize) + i : (i * inSize) + j] = 1f / (end - start);
            }
        }

        return matrix;
    }

    private static string FlattenFrom(OnnxGraph graph, long start, long end, string path, OnnxValue input)
    {
        var rank = input.Sample.dim();
        if (start == 1 && (end == -1 || end == rank - 1))
        {
            return Flatten(graph, input.Name, path);
        }

        throw new NotSupportedException($"ONNX export flattens from dimension 1 to the last; layer '{path}' flattens {start} to {end}.");
    }

    private static string Prefix(string path) => path.Length == 0 ? string.Empty : $"{path}.";
}
