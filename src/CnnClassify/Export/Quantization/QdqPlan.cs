using Onnx;

namespace CnnClassify.Export;

/// <summary>
/// Which nodes of a float graph are quantized and which tensors get a QuantizeLinear and
/// DequantizeLinear pair, placed so that ONNX Runtime can fuse each quantized node with its pairs
/// into one integer operator.
/// </summary>
internal sealed class QdqPlan
{
    // Operators ONNX Runtime runs on integers when their inputs are dequantized and their output is
    // quantized: QLinearConv, QGemm, QLinearMatMul, QLinearAdd, QLinearConcat, QLinearAveragePool
    // and QLinearGlobalAveragePool.
    private static readonly HashSet<string> Computing = new(StringComparer.Ordinal) { "Conv", "Gemm", "MatMul", "Add", "Concat", "AveragePool", "GlobalAveragePool" };

    // Operators that move values without changing them: their output keeps their input's scale
    // and zero point, so that ONNX Runtime drops the pairs around them and runs them on uint8.
    private static readonly HashSet<string> Moving = new(StringComparer.Ordinal) { "MaxPool", "Flatten", "Reshape", "Transpose" };

    // Activations that ONNX Runtime removes when the quantization after them already clips to
    // their range (a zero point of 0 for Relu, a range within the clip for Clip).
    private static readonly HashSet<string> Clipping = new(StringComparer.Ordinal) { "Relu", "Clip" };

    private QdqPlan(List<NodeProto> nodes, Dictionary<string, string> tensors)
    {
        Nodes = nodes;
        Tensors = tensors;
    }

    /// <summary>The nodes that run on integers: convolutions and linear layers get int8 weights.</summary>
    public IReadOnlyList<NodeProto> Nodes { get; }

    /// <summary>
    /// Each tensor that gets a QuantizeLinear and DequantizeLinear pair, with the tensor whose
    /// calibrated range it shares (itself, or the input of the operators that only move it).
    /// </summary>
    public IReadOnlyDictionary<string, string> Tensors { get; }

    /// <summary>The tensors whose ranges calibration measures.</summary>
    public IReadOnlySet<string> Calibrated => Tensors.Values.ToHashSet(StringComparer.Ordinal);

    /// <summary>Plans <paramref name="graph"/>, keeping in float the nodes under the paths in <paramref name="keepFloat"/>.</summary>
    /// <exception cref="ArgumentException">A path in <paramref name="keepFloat"/> names no node of the graph.</exception>
    public static QdqPlan For(GraphProto graph, IReadOnlyList<string> keepFloat)
    {
        var unknown = keepFloat.FirstOrDefault(path => !graph.Node.Any(node => Under(node, path)));
        if (unknown is not null)
        {
            throw new ArgumentException($"Int8 quantization: KeepFloat names layer '{unknown}', which the model does not have.", nameof(keepFloat));
        }

        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);

        // Values computed from initializers alone (a transposed weight, an averaging matrix) are
        // constants too: a MatMul with one stays in float rather than quantizing a weight per tensor.
        var constants = new HashSet<string>(initializers, StringComparer.Ordinal);
        foreach (var node in graph.Node.Where(n => n.Input.All(input => input.Length == 0 || constants.Contains(input))))
        {
            constants.Add(node.Output[0]);
        }

        // The graph's outputs, and what reaches them through Identity nodes only, stay float32.
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var node in graph.Node.Reverse().Where(n => n.OpType == "Identity" && outputs.Contains(n.Output[0])))
        {
            outputs.Add(node.Input[0]);
        }

        var consumers = graph.Node.SelectMany(n => n.Input.Select(input => (input, n))).ToLookup(p => p.input, p => p.n, StringComparer.Ordinal);
        bool Kept(NodeProto node) => keepFloat.Any(path => Under(node, path));
        bool Activation(string name) => name.Length > 0 && !constants.Contains(name);

        var nodes = new List<NodeProto>();
        var tensors = new Dictionary<string, string>(StringComparer.Ordinal);
        void Quantize(string name)
        {
            if (!outputs.Contains(name))
            {
                tensors.TryAdd(name, name);
            }
        }

        foreach (var node in graph.Node.Where(n => Computing.Contains(n.OpType) && !Kept(n)))
        {
            var weighted = node.OpType is "Conv" or "Gemm";
            if (weighted ? !initializers.Contains(node.Input[1]) || (node.OpType == "Gemm" && (Attribute(node, "transA") == 1 || Attribute(node, "transB") != 1)) : !node.Input.All(Activation))
            {
                continue;
            }

            nodes.Add(node);
            Quantize(node.Input[0]);
            if (!weighted)
            {
                node.Input.Skip(1).ToList().ForEach(Quantize);
            }

            // The pair goes after a Relu or Clip that is the output's only consumer, which ONNX
            // Runtime then removes; the logits stay in float.
            var output = node.Output[0];
            var next = consumers[output].ToList();
            if (next.Count == 1 && Clipping.Contains(next[0].OpType) && !Kept(next[0]))
            {
                output = next[0].Output[0];
            }

            Quantize(output);
        }

        // A pure move of a quantized tensor shares its range, in graph order so that chains do.
        foreach (var node in graph.Node.Where(n => Moving.Contains(n.OpType) && !Kept(n)))
        {
            if (tensors.TryGetValue(node.Input[0], out var source) && !outputs.Contains(node.Output[0]))
            {
                tensors[node.Output[0]] = source;
            }
        }

        return new QdqPlan(nodes, tensors);
    }

    private static bool Under(NodeProto node, string path) =>
        path.Length > 0 && node.Name.StartsWith(path + ".", StringComparison.Ordinal);

    private static long Attribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name)?.I ?? 0;
}
