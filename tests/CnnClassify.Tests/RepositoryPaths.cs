namespace CnnClassify.Tests;

/// <summary>Locates files of this repository from the test assembly's output folder.</summary>
internal static class RepositoryPaths
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The folder that holds CnnClassify.sln.</summary>
    public static string Root => RootPath.Value;

    /// <summary>An absolute path for a path relative to the repository root.</summary>
    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CnnClassify.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No CnnClassify.sln above {AppContext.BaseDirectory}.");
    }
}
