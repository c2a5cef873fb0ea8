using System.Text.Json.Nodes;

namespace CnnClassify.Tests.MultiLabel;

/// <summary>Recomputes a multi-label evaluation folder (metrics.json, predictions.csv) with scikit-learn in the Debian 13 root.</summary>
internal static class ScikitLearnReference
{
    /// <summary>
    /// Asserts that every metric in <paramref name="folder"/> equals scikit-learn's to 1e-9, and
    /// that at least <paramref name="atLeast"/> values were compared; skips where scikit-learn is
    /// missing outside the root.
    /// </summary>
    public static void AssertAgrees(string folder, int atLeast)
    {
        var (exit, output) = PythonProcess.Run(RepositoryPaths.Combine("tests", "CnnClassify.Tests", "Evaluation", "multilabel_reference.py"), folder);
        Skip.If(exit != 0 && !PythonProcess.InRoot, $"scikit-learn is not available: {output.Trim().Split('\n').LastOrDefault()}");
        Assert.True(exit == 0, output);
        var comparison = JsonNode.Parse(output.Trim().Split('\n').Last())!;
        Assert.True(comparison["compared"]!.GetValue<int>() >= atLeast, output);
        Assert.True(comparison["different"]!.AsObject().Count == 0, output);
    }
}
