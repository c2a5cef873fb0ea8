namespace CnnClassify.Benchmarks;

/// <summary>The benchmarks' command-line options: <c>--name value</c> pairs after the command.</summary>
internal static class Arguments
{
    /// <summary>The value after <paramref name="name"/>, or <paramref name="fallback"/> when it is absent.</summary>
    public static string Option(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }
}
