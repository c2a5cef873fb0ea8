using System.Text.RegularExpressions;

namespace CnnClassify.Tests.Packaging;

/// <summary>The LibTorch CPU package for this host, at the version the repository pins, for the projects tests generate.</summary>
internal static partial class TorchBackendPackage
{
    public static string Name =>
        OperatingSystem.IsWindows() ? "libtorch-cpu-win-x64" : OperatingSystem.IsMacOS() ? "libtorch-cpu-osx-arm64" : "libtorch-cpu-linux-x64";

    public static string Version =>
        Regex.Match(File.ReadAllText(RepositoryPaths.Combine("Directory.Packages.props")), $@"Include=""{Regex.Escape(Name)}"" Version=""([^""]+)""").Groups[1].Value;

    /// <summary>The package as a <c>PackageReference</c> element.</summary>
    public static string Reference => $"""<PackageReference Include="{Name}" Version="{Version}" />""";
}
