using System.Runtime.InteropServices;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CnnClassify.Export;

/// <summary>
/// Runs an ONNX graph written by the exporter in TorchSharp, node by node, so that calibration can
/// see every intermediate tensor by its ONNX name. It knows the operators the exporter writes
/// (opset 17) and refuses any other with the node's name.
/// </summary>
internal sealed class OnnxGraphRunner : IDisposable
{
    private readonly GraphProto _graph;
    private readonly Dictionary<string, Tensor> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _lastUse = new(StringComparer.Ordinal);

    /// <summary>Reads the graph's initializers as tensors; the graph must hold its weights (no external data).</summary>
    public OnnxGraphRunner(GraphProto graph)
    {
        _graph = graph;
        foreach (var initializer in graph.Initializer)
        {
            _constants[initializer.Name] = ToTensor(initializer).DetachFromDisposeScope();
        }

        for (var i = 0; i < graph.Node.Count; i++)
        {
            foreach (var input in graph.Node[i].Input)
            {
                _lastUse[input] = i;
            }
        }
    }

    /// <summary>
    /// Runs every node whose inputs are known, starting from <paramref name="inputs"/> (by name), and
    /// shows each node's outputs to <paramref name="observe"/>, which must copy what it keeps: a value
    /// is freed once its last consumer has run. The inputs are shown first.
    /// </summary>
    public void Run(IReadOnlyDictionary<string, Tensor> inputs, Action<string, Tensor> observe)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var values = new Dictionary<string, Tensor>(inputs, StringComparer.Ordinal);
        foreach (var (name, value) in inputs)
        {
            observe(name, value);
        }

        for (var i = 0; i < _graph.Node.Count; i++)
        {
            var node = _graph.Node[i];
            if (!node.Input.All(name => name.Length == 0 || values.ContainsKey(name) || _constants.ContainsKey(name)))
            {
                continue;
            }

            var arguments = node.Input.Select(name => name.Length == 0 ? null : values.TryGetValue(name, out var value) ? value : _constants[name]).ToArray();
            var output = Evaluate(node, arguments);
            values[node.Output[0]] = output;
            observe(node.Output[0], output);
            foreach (var name in node.Input.Where(name => _lastUse.TryGetValue(name, out var last) && last == i && !inputs.ContainsKey(name) && !_constants.ContainsKey(name)))
            {
                if (values.Remove(name, out var spent))
                {
                    spent.Dispose();
                }
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var constant in _constants.Values)
        {
            constant.Dispose();
        }

        _constants.Clear();
    }

    private static Tensor Evaluate(NodeProto node, Tensor?[] x) => node.OpType switch
    {
        "Conv" => Conv(node, x[0]!, x[1]!, x.Length > 2 ? x[2] : null),
        "Gemm" => Gemm(node, x[0]!, x[1]!, x.Length > 2 ? x[2] : null),
        "MatMul" => x[0]!.matmul(x[1]!),
        "BatchNormalization" => BatchNorm(node, x),
        "Relu" => F.relu(x[0]!),
        "Clip" => x[0]!.clamp(x.Length > 1 ? x[1] : null, x.Length > 2 ? x[2] : null),
        "Tanh" => x[0]!.tanh(),
        "Sigmoid" => x[0]!.sigmoid(),
        "Erf" => x[0]!.erf(),
        "Elu" => F.elu(x[0]!, Float(node, "alpha", 1f)),
        "LeakyRelu" => F.leaky_relu(x[0]!, Float(node, "alpha", 0.01f)),
        "HardSwish" => F.hardswish(x[0]!),
        "HardSigmoid" => HardSigmoid(node, x[0]!),
        "Add" => x[0]!.add(x[1]!, HeldScalars.One),
        "Sub" => x[0]!.sub(x[1]!),
        "Mul" => x[0]!.mul(x[1]!),
        "Div" => x[0]!.div(x[1]!),
        "LayerNormalization" => F.layer_norm(x[0]!, [x[0]!.shape[^1]], x[1], x.Length > 2 ? x[2] : null, Float(node, "epsilon", 1e-5f)),
        "LRN" => F.local_response_norm(x[0]!, Int(node, "size", 1), Float(node, "alpha", 1e-4f), Float(node, "beta", 0.75f), Float(node, "bias", 1f)),
        "MaxPool" => Pool(node, x[0]!, max: true),
        "AveragePool" => Pool(node, x[0]!, max: false),
        "GlobalAveragePool" => x[0]!.mean([2L, 3L], keepdim: true),
        "GlobalMaxPool" => x[0]!.amax([2L, 3L], keepdim: true),
        "Flatten" => x[0]!.flatten(Int(node, "axis", 1)),
        "Transpose" => x[0]!.permute(Ints(node, "perm")),
        "Reshape" => Reshape(x[0]!, x[1]!),
        "Concat" => torch.cat(x.Select(t => t!).ToArray(), Int(node, "axis", 0)),
        "Slice" => Slice(x),
        "Cast" => x[0]!.to(ScalarType.Float32),
        "Identity" or "Dropout" => x[0]!.alias(),
        _ => throw new NotSupportedException($"Quantization cannot run node '{node.Name}': operator {node.OpType} is not one the exporter writes."),
    };

    private static Tensor Conv(NodeProto node, Tensor input, Tensor weight, Tensor? bias)
    {
        var pads = Ints(node, "pads", [0, 0, 0, 0]);
        var padded = input;
        long[] padding = [pads[0], pads[1]];
        if (pads[0] != pads[2] || pads[1] != pads[3])
        {
            // ONNX orders pads as [top, left, bottom, right]; LibTorch's pad takes the last dimension first.
            padded = F.pad(input, [pads[1], pads[3], pads[0], pads[2]]);
            padding = [0, 0];
        }

        return F.conv2d(padded, weight, bias, Ints(node, "strides", [1, 1]), padding, Ints(node, "dilations", [1, 1]), Int(node, "group", 1));
    }

    private static Tensor Gemm(NodeProto node, Tensor a, Tensor b, Tensor? c)
    {
        var left = Int(node, "transA", 0) == 1 ? a.t() : a;
        var right = Int(node, "transB", 0) == 1 ? b.t() : b;
        var product = left.matmul(right);
        return c is null ? product : product.add(c, HeldScalars.One);
    }

    private static Tensor BatchNorm(NodeProto node, Tensor?[] x)
    {
        long[] perChannel = [1, -1, .. Enumerable.Repeat(1L, (int)x[0]!.dim() - 2)];
        using var epsilon = torch.tensor(Float(node, "epsilon", 1e-5f));
        var inverse = x[4]!.add(epsilon, HeldScalars.One).rsqrt().mul(x[1]!);
        return x[0]!.sub(x[3]!.reshape(perChannel)).mul(inverse.reshape(perChannel)).add(x[2]!.reshape(perChannel), HeldScalars.One);
    }

    private static Tensor HardSigmoid(NodeProto node, Tensor x)
    {
        using var alpha = torch.tensor(Float(node, "alpha", 0.2f));
        using var beta = torch.tensor(Float(node, "beta", 0.5f));
        using var zero = torch.tensor(0f);
        using var one = torch.tensor(1f);
        return x.mul(alpha).add(beta, HeldScalars.One).clamp(zero, one);
    }

    private static Tensor Pool(NodeProto node, Tensor input, bool max)
    {
        var kernel = Ints(node, "kernel_shape");
        var strides = Ints(node, "strides", kernel);
        var pads = Ints(node, "pads", [0, 0, 0, 0]);
        if (pads[0] != pads[2] || pads[1] != pads[3])
        {
            throw new NotSupportedException($"Quantization cannot run node '{node.Name}': its padding is not symmetric.");
        }

        var ceil = Int(node, "ceil_mode", 0) == 1;
        return max
            ? F.max_pool2d(input, kernel, strides, [pads[0], pads[1]], Ints(node, "dilations", [1, 1]), ceil)
            : F.avg_pool2d(input, kernel, strides, [pads[0], pads[1]], ceil, Int(node, "count_include_pad", 0) == 1);
    }

    private static Tensor Reshape(Tensor input, Tensor shape)
    {
        // A 0 keeps the input's size in that dimension, as ONNX's Reshape says.
        var target = shape.data<long>().ToArray().Select((size, i) => size == 0 ? input.shape[i] : size).ToArray();
        return input.reshape(target);
    }

    private static Tensor Slice(Tensor?[] x)
    {
        var start = x[1]!.data<long>()[0];
        var end = x[2]!.data<long>()[0];
        var axis = x.Length > 3 && x[3] is { } axes ? axes.data<long>()[0] : 0;
        var size = x[0]!.shape[axis];
        start = Math.Clamp(start < 0 ? start + size : start, 0, size);
        end = Math.Clamp(end < 0 ? end + size : end, 0, size);
        return x[0]!.narrow(axis, start, Math.Max(0, end - start));
    }

    private static Tensor ToTensor(TensorProto proto)
    {
        var shape = proto.Dims.ToArray();
        switch ((TensorProto.Types.DataType)proto.DataType)
        {
            case TensorProto.Types.DataType.Float:
                var floats = proto.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(proto.RawData.Span).ToArray() : [.. proto.FloatData];
                return torch.tensor(floats, shape);
            case TensorProto.Types.DataType.Int64:
                var longs = proto.RawData.Length > 0 ? MemoryMarshal.Cast<byte, long>(proto.RawData.Span).ToArray() : [.. proto.Int64Data];
                return torch.tensor(longs, shape);
            default:
                throw new NotSupportedException($"Quantization cannot read initializer '{proto.Name}' of ONNX type {proto.DataType}.");
        }
    }

    private static long Int(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } attribute ? attribute.I : fallback;

    private static float Float(NodeProto node, string name, float fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } attribute ? attribute.F : fallback;

    private static long[] Ints(NodeProto node, string name, long[]? fallback = null) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } attribute ? [.. attribute.Ints]
        : fallback ?? throw new NotSupportedException($"Quantization cannot run node '{node.Name}': it has no attribute {name}.");
}
