using System.Text.Json;
using System.Xml.Linq;

namespace CnnClassify.Tests.Foundation;

/// <summary>The library must leave the choice of native backend (CPU or CUDA) to its consumers.</summary>
public class LibraryDependencyTests
{
    private static readonly string[] BackendPackagePrefixes = ["libtorch-", "TorchSharp-cpu", "TorchSharp-cuda"];

    [Fact]
    public void Library_project_references_TorchSharp_and_no_backend_package()
    {
        var project = XDocument.Load(RepositoryPaths.Combine("src", "CnnClassify", "CnnClassify.csproj"));
        var references = project.Descendants("PackageReference").Select(e => (string)e.Attribute("Include")!).ToList();

        Assert.Contains("TorchSharp", references);
        Assert.DoesNotContain(references, IsBackendPackage);
    }

    [Fact]
    public void Library_package_graph_holds_no_backend_package()
    {
        var assetsPath = RepositoryPaths.Combine("src", "CnnClassify", "obj", "project.assets.json");
        Assert.True(File.Exists(assetsPath), $"{assetsPath} is missing; restore the solution first.");

        using var assets = JsonDocument.Parse(File.ReadAllText(assetsPath));
        var packages = assets.RootElement.GetProperty("libraries").EnumerateObject()
            .Select(library => library.Name.Split('/')[0])
            .ToList();

        Assert.Contains("TorchSharp", packages);
        Assert.DoesNotContain(packages, IsBackendPackage);
    }

    private static bool IsBackendPackage(string package) =>
        BackendPackagePrefixes.Any(prefix => package.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
}
