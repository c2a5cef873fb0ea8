namespace CnnClassify.Cli;

/// <summary>A command line that names something wrong; the CLI exits with status 2.</summary>
public sealed class UsageException(string message) : Exception(message);
