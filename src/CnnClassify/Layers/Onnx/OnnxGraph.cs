using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Layers;

/// <summary>
/// An ONNX graph being written by <c>ExportOnnx</c> (<c>CnnClassify.Export</c>): nodes in
/// execution order, weights as float32 initializers named by their state-dict paths, and
/// constants. Layers add to it through <see cref="IOnnxExportable"/>.
/// </summary>
public sealed class OnnxGraph
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<string> _initializers = new(StringComparer.Ordinal);

    internal OnnxGraph(string name) => Proto = new GraphProto { Name = name };

    internal GraphProto Proto { get; }

    /// <summary>
    /// Writes <paramref name="module"/>: modules that implement <see cref="IOnnxExportable"/>
    /// write themselves, TorchSharp's own layers are translated here, and anything else is refused.
    /// The returned value carries the module's output on the sample.
    /// </summary>
    /// <param name="module">The module, in evaluation mode.</param>
    /// <param name="path">Its dotted state-dict path (empty for the model).</param>
    /// <param name="input">Its input.</param>
    /// <returns>Its output.</returns>
    /// <exception cref="NotSupportedException">ONNX export does not know the module; the message names its path and type.</exception>
    public OnnxValue Apply(nn.Module<Tensor, Tensor> module, string path, OnnxValue input)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(input);
        var output = module is IOnnxExportable exportable
            ? exportable.ExportOnnx(this, path, input)
            : OnnxOperators.Write(this, module, path, input)
              ?? throw new NotSupportedException(
                  $"ONNX export does not know layer '{(path.Length == 0 ? "(model)" : path)}' of type {module.GetType().FullName}; implement CnnClassify.Layers.IOnnxExportable on it to write its forward pass.");
        using var noGrad = torch.no_grad();
        return new OnnxValue(output, module.call(input.Sample));
    }

    /// <summary>The dotted path of child <paramref name="name"/> under <paramref name="path"/>.</summary>
    /// <param name="path">The parent's path, empty for the model.</param>
    /// <param name="name">The child's name.</param>
    public static string Child(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    /// <summary>Adds <paramref name="tensor"/> as a float32 initializer named <paramref name="name"/> (a state-dict name), once.</summary>
    /// <param name="name">The initializer's name.</param>
    /// <param name="tensor">The weight; copied to the CPU in float32 and the standard layout.</param>
    /// <returns><paramref name="name"/>.</returns>
    public string Weight(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!_initializers.Add(name))
        {
            return name;
        }

        _names.Add(name);
        using var scope = torch.NewDisposeScope();
        var values = tensor.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        Proto.Initializer.Add(FloatTensor(name, values, tensor.shape));
        return name;
    }

    /// <summary>Adds a float32 constant of <paramref name="shape"/>.</summary>
    /// <param name="hint">The start of its name.</param>
    /// <param name="values">Its values in row-major order.</param>
    /// <param name="shape">Its shape; empty for a scalar.</param>
    /// <returns>The constant's name.</returns>
    public string Constant(string hint, float[] values, params long[] shape)
    {
        var name = Unique(hint);
        _initializers.Add(name);
        Proto.Initializer.Add(FloatTensor(name, values, shape));
        return name;
    }

    /// <summary>Adds an int64 constant of <paramref name="shape"/>, such as a Reshape's target shape.</summary>
    /// <param name="hint">The start of its name.</param>
    /// <param name="values">Its values.</param>
    /// <param name="shape">Its shape.</param>
    /// <returns>The constant's name.</returns>
    public string Int64Constant(string hint, long[] values, params long[] shape)
    {
        var name = Unique(hint);
        _initializers.Add(name);
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        proto.Dims.AddRange(shape);
        proto.Int64Data.AddRange(values);
        Proto.Initializer.Add(proto);
        return name;
    }

    /// <summary>Adds a node and returns its (single) output's name.</summary>
    /// <param name="opType">The ONNX operator, such as <c>Conv</c>.</param>
    /// <param name="inputs">Its inputs' names, in the operator's order.</param>
    /// <param name="outputHint">The start of the output's name, usually the module's path.</param>
    /// <param name="attributes">Attributes: values of type long, long[], float, float[] or string.</param>
    /// <returns>The output's name.</returns>
    public string Node(string opType, IReadOnlyList<string> inputs, string outputHint, params (string Name, object Value)[] attributes)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        var output = Unique(outputHint.Length == 0 ? opType : $"{outputHint}.{opType}");
        var node = new NodeProto { OpType = opType, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        foreach (var (name, value) in attributes)
        {
            node.Attribute.Add(Attribute(name, value));
        }

        Proto.Node.Add(node);
        return output;
    }

    /// <summary>A name not used yet in the graph, starting with <paramref name="hint"/>.</summary>
    internal string Unique(string hint)
    {
        var name = hint;
        for (var i = 1; !_names.Add(name); i++)
        {
            name = $"{hint}_{i}";
        }

        return name;
    }

    internal static ValueInfoProto TensorInfo(string name, TensorProto.Types.DataType type, IEnumerable<object> dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim is string param
                ? new TensorShapeProto.Types.Dimension { DimParam = param }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dim, System.Globalization.CultureInfo.InvariantCulture) });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private static TensorProto FloatTensor(string name, float[] values, long[] shape)
    {
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        proto.Dims.AddRange(shape);
        // raw_data is little-endian float32, as on every platform .NET runs this library on.
        proto.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        return proto;
    }

    private static AttributeProto Attribute(string name, object value)
    {
        var attribute = new AttributeProto { Name = name };
        switch (value)
        {
            case long or int:
                attribute.Type = AttributeProto.Types.AttributeType.Int;
                attribute.I = Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
                break;
            case float or double:
                attribute.Type = AttributeProto.Types.AttributeType.Float;
                attribute.F = Convert.ToSingle(value, System.Globalization.CultureInfo.InvariantCulture);
                break;
            case long[] ints:
                attribute.Type = AttributeProto.Types.AttributeType.Ints;
                attribute.Ints.AddRange(ints);
                break;
            case float[] floats:
                attribute.Type = AttributeProto.Types.AttributeType.Floats;
                attribute.Floats.AddRange(floats);
                break;
            case string s:
                attribute.Type = AttributeProto.Types.AttributeType.String;
                attribute.S = ByteString.CopyFromUtf8(s);
                break;
            default:
                throw new ArgumentException($"ONNX attribute '{name}' cannot hold a {value?.GetType().Name ?? "null"}.", nameof(value));
        }

        return attribute;
    }
}
