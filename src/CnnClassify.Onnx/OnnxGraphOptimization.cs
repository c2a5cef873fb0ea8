namespace CnnClassify.Onnx;

/// <summary>How far ONNX Runtime rewrites a graph when it loads it (its graph optimization levels).</summary>
public enum OnnxGraphOptimization
{
    /// <summary>No rewriting.</summary>
    None,

    /// <summary>Rewrites that keep the graph's meaning on any hardware: constant folding, removing redundant nodes.</summary>
    Basic,

    /// <summary>Also fusions into ONNX Runtime's own operators, including int8 QDQ groups into integer kernels.</summary>
    Extended,

    /// <summary>Also layout rewrites for the CPU it runs on (blocked NCHWc convolutions); ONNX Runtime's default.</summary>
    All,
}
