namespace CnnClassify.Diagnostics;

/// <summary>One line of the <see cref="EnvironmentReport"/>: what was looked at, what was found, and a hint where something is missing.</summary>
/// <param name="Name">What was looked at, such as <c>CPU</c> or <c>Weight cache</c>.</param>
/// <param name="Value">What was found.</param>
/// <param name="Ok">Whether it is ready for use; <see langword="false"/> lines carry a <paramref name="Hint"/>.</param>
/// <param name="Hint">One line saying what to do, or what the finding means; <see langword="null"/> when nothing needs saying.</param>
public sealed record EnvironmentCheck(string Name, string Value, bool Ok = true, string? Hint = null);
