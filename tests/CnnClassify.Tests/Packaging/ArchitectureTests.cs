namespace CnnClassify.Tests.Packaging;

public class ArchitectureTests
{
    /// <summary>The library's namespaces in layers, lowest first, as docs/architecture.md draws them.</summary>
    private static readonly LayerRules Library = new(
    [
        ["CnnClassify"],
        ["CnnClassify.Native"],
        ["CnnClassify.Serialization"],
        ["CnnClassify.Downloads", "CnnClassify.Data.Transforms"],
        ["CnnClassify.Data"],
        ["CnnClassify.Layers"],
        ["CnnClassify.Models"],
        ["CnnClassify.Export", "CnnClassify.Runtime"],
        ["CnnClassify.Diagnostics"],
        ["CnnClassify.Training"],
        ["CnnClassify.Distributed", "CnnClassify.Evaluation"],
        ["CnnClassify.Evaluation.Plots"],
        ["CnnClassify.Explanation"],
        ["CnnClassify.Inference"],
        ["CnnClassify.Reporting"],
    ]);

    [Fact]
    public void The_library_has_no_namespace_cycle_and_no_dependency_up_the_layers()
    {
        var graph = NamespaceGraph.Read(typeof(CnnClassify.Training.Trainer).Assembly, "CnnClassify");

        var violations = Library.Violations(graph);
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
        // The graph is read, not empty: the trainer's namespace uses the model's.
        Assert.Contains("CnnClassify.Models", graph.Uses("CnnClassify.Training").Keys);
        // Training and prediction meet only in the runtime layer below both.
        Assert.DoesNotContain("CnnClassify.Training", graph.Uses("CnnClassify.Inference").Keys);
        Assert.DoesNotContain("CnnClassify.Inference", graph.Uses("CnnClassify.Training").Keys);
    }

    /// <summary>The serving package's namespaces in layers, lowest first.</summary>
    private static readonly LayerRules Serving = new(
    [
        ["CnnClassify.Serving"],
        ["CnnClassify.Serving.Batching"],
        ["CnnClassify.Serving.Hosting"],
        ["CnnClassify.Serving.Endpoints", "CnnClassify.Serving.DemoPage"],
    ]);

    [Fact]
    public void The_serving_package_has_no_namespace_cycle_and_references_no_torchsharp()
    {
        var assembly = typeof(CnnClassify.Serving.ImageClassifierOptions).Assembly;
        var graph = NamespaceGraph.Read(assembly, "CnnClassify.Serving");

        var violations = Serving.Violations(graph);
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
        Assert.Contains("CnnClassify.Serving.Hosting", graph.Uses("CnnClassify.Serving.Endpoints").Keys);
        // An application serving ONNX files carries no LibTorch: checkpoints come in through IImageClassifier.
        var references = assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.Contains("CnnClassify.Onnx", references);
        Assert.DoesNotContain(references, name => name!.StartsWith("TorchSharp", StringComparison.Ordinal) || name == "CnnClassify");
    }

    [Fact]
    public void A_planted_cycle_and_upward_use_are_reported()
    {
        // Planted.Lower and Planted.Upper (below) use each other; the rules put Lower first.
        const string prefix = "CnnClassify.Tests.Packaging.Planted";
        var graph = NamespaceGraph.Read(typeof(ArchitectureTests).Assembly, prefix);
        var rules = new LayerRules([[prefix + ".Lower"], [prefix + ".Upper"]]);

        var violations = rules.Violations(graph);

        Assert.Contains($"cycle: {prefix}.Lower, {prefix}.Upper", violations);
        Assert.Contains(violations, v => v.StartsWith($"{prefix}.Lower (layer 0) uses {prefix}.Upper (layer 1)", StringComparison.Ordinal));
        Assert.DoesNotContain(violations, v => v.StartsWith($"{prefix}.Upper (layer 1) uses", StringComparison.Ordinal));
    }

    [Fact]
    public void A_namespace_outside_the_layers_is_reported()
    {
        const string prefix = "CnnClassify.Tests.Packaging.Planted";
        var graph = NamespaceGraph.Read(typeof(ArchitectureTests).Assembly, prefix);
        var rules = new LayerRules([[prefix + ".Lower"]]);

        Assert.Contains($"{prefix}.Upper is in no layer; place it in the list", rules.Violations(graph));
    }
}
