using System.Text.RegularExpressions;
using SixLabors.ImageSharp;

namespace CnnClassify.Tests.Packaging;

/// <summary>The README's pictures: every one it shows is a committed image that decodes.</summary>
public sealed partial class ReadmeImageTests
{
    [Fact]
    public void Every_picture_the_readme_shows_exists_in_the_repository_and_decodes()
    {
        var readme = File.ReadAllText(RepositoryPaths.Combine("README.md"));
        var pictures = Picture().Matches(readme).Select(m => (Alt: m.Groups[1].Value, Path: m.Groups[2].Value)).ToList();

        Assert.True(pictures.Count >= 3, $"{pictures.Count} pictures");
        Assert.Contains(pictures, p => p.Path == "docs/images/history.png");
        Assert.Contains(pictures, p => p.Path == "docs/images/confusion_matrix.png");
        foreach (var (alt, path) in pictures)
        {
            Assert.False(string.IsNullOrWhiteSpace(alt), $"{path} has no alternative text");
            Assert.DoesNotMatch("^[a-z]+://", path);
            var file = RepositoryPaths.Combine(path.Split('/'));
            Assert.True(File.Exists(file), $"the README shows {path}, which is not in the repository");
            var info = Image.Identify(file);
            Assert.True(info.Width >= 600 && info.Height >= 300, $"{path} is {info.Width}x{info.Height}");
        }
    }

    [GeneratedRegex(@"!\[([^\]]*)\]\(([^)\s]+)\)")]
    private static partial Regex Picture();
}
