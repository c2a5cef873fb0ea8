using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace CnnClassify.Tests.Packaging;

/// <summary>
/// Every C# snippet of the README compiles against the library. Each becomes the body of a method
/// whose parameters stand for the names the snippets take as given (model, loaders, history, ...).
/// </summary>
[Collection(SerialTests.Name)]
public sealed partial class ReadmeSnippetTests : IDisposable
{
    private static readonly (string Type, string Name)[] Givens =
    [
        ("CnnClassify.Models.ClassificationModel", "model"),
        ("CnnClassify.Data.DataLoader", "trainLoader"),
        ("CnnClassify.Data.DataLoader", "validationLoader"),
        ("CnnClassify.Data.DataLoader", "testLoader"),
        ("CnnClassify.Data.IImageDataset", "testDataset"),
        ("CnnClassify.Training.History", "history"),
    ];

    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-readme-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Every_csharp_snippet_in_the_readme_compiles()
    {
        var readme = File.ReadAllText(RepositoryPaths.Combine("README.md"));
        var snippets = Snippet().Matches(readme).Select(m => m.Groups[1].Value).ToList();
        Assert.True(snippets.Count >= 5, $"only {snippets.Count} C# snippets found");

        var usings = new SortedSet<string>(StringComparer.Ordinal) { "using System;", "using System.Collections.Generic;", "using System.Linq;", "using System.Threading.Tasks;" };
        var methods = new StringBuilder();
        for (var i = 0; i < snippets.Count; i++)
        {
            var lines = snippets[i].Split('\n');
            foreach (var line in lines.Where(IsUsingDirective))
            {
                usings.Add(line.Trim());
            }

            var body = string.Join('\n', lines.Where(l => !IsUsingDirective(l)));
            var parameters = Givens.Where(g => !Regex.IsMatch(body, $@"\bvar {g.Name}\b|\b{g.Name} =(?!=)")).Select(g => $"{g.Type} {g.Name}");
            methods.Append(System.Globalization.CultureInfo.InvariantCulture, $"    public static async Task Snippet{i}({string.Join(", ", parameters)})\n    {{\n{body}\n        await Task.CompletedTask;\n    }}\n\n");
        }

        File.WriteAllText(Path.Combine(_dir, "Snippets.cs"), $"{string.Join('\n', usings)}\n\n#pragma warning disable CS8321, CS0219, CA1050\npublic static class ReadmeSnippets\n{{\n{methods}}}\n");
        File.WriteAllText(Path.Combine(_dir, "Snippets.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{RepositoryPaths.Combine("src", "CnnClassify", "CnnClassify.csproj")}" />
              </ItemGroup>
            </Project>
            """);

        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "build", "-c", "Release", "-nologo", "-clp:ErrorsOnly" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await error;
        Assert.True(process.WaitForExit(600_000), "dotnet build timed out");
        Assert.True(process.ExitCode == 0, $"README snippets do not compile:\n{output}\n{errors}");
    }

    private static bool IsUsingDirective(string line) => UsingDirective().IsMatch(line);

    [GeneratedRegex(@"^using (static )?[A-Za-z_][\w.]*( = [\w.]+)?;\s*$")]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex Snippet();
}
