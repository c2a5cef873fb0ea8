using System.Text.RegularExpressions;

namespace CnnClassify.Tests.Packaging;

/// <summary>docs/architecture.md is the map of the code: the README links it, and every file and folder it names exists.</summary>
public sealed partial class ArchitectureDocTests
{
    private static readonly string Page = RepositoryPaths.Combine("docs", "architecture.md");

    [Fact]
    public void The_README_links_the_architecture_page()
    {
        Assert.Contains("(docs/architecture.md)", File.ReadAllText(RepositoryPaths.Combine("README.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_path_the_architecture_page_names_exists()
    {
        var names = Quoted().Matches(File.ReadAllText(Page)).Select(m => m.Groups[1].Value).Distinct().ToList();
        var sources = new[] { "src", "samples", "tests" }
            .SelectMany(folder => Directory.EnumerateFiles(RepositoryPaths.Combine(folder), "*", SearchOption.AllDirectories))
            .Where(path => !path.Contains("/bin/", StringComparison.Ordinal) && !path.Contains("/obj/", StringComparison.Ordinal))
            .Select(Path.GetFileName)
            .ToHashSet(StringComparer.Ordinal);

        var paths = names.Where(name => name.Contains('/', StringComparison.Ordinal)).ToList();
        var files = names.Where(name => !name.Contains('/', StringComparison.Ordinal) && FileName().IsMatch(name)).ToList();

        Assert.True(paths.Count >= 30, $"only {paths.Count} paths named");
        Assert.All(paths, path => Assert.True(File.Exists(RepositoryPaths.Combine(path)) || Directory.Exists(RepositoryPaths.Combine(path)), $"{path} does not exist"));
        Assert.All(files, file => Assert.True(sources.Contains(file), $"no file is named {file}"));
    }

    // Text in backticks, such as `src/CnnClassify/Training/Trainer.cs` or `Trainer.cs`.
    [GeneratedRegex("`([^`\\s]+)`")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"^[\w.]+\.(cs|py|md|csproj)$")]
    private static partial Regex FileName();
}
