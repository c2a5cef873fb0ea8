// Prints the summary of every model in the zoo (or the ones named), at its usual input size
// (224x224, 299x299 for Inception v3, 28x28 for the small-image models), with 1,000 classes.
// Usage: dotnet run -c Release --project samples/ModelZoo [-- NAME...]
using System.CommandLine;
using CnnClassify.Models;

var namesArgument = new Argument<string[]>("names") { Description = $"Models to summarise (default: all): {string.Join(", ", ModelZoo.Names)}.", Arity = ArgumentArity.ZeroOrMore };
namesArgument.Validators.Add(result =>
{
    foreach (var unknown in result.GetValueOrDefault<string[]>() ?? [])
    {
        if (!ModelZoo.Names.Contains(unknown, StringComparer.OrdinalIgnoreCase))
        {
            result.AddError($"Unknown model '{unknown}'. Known models: {string.Join(", ", ModelZoo.Names)}.");
        }
    }
});
var root = new RootCommand("Prints the layer summary of the zoo's models.") { namesArgument };
root.SetAction(parse =>
{
    var names = parse.GetValue(namesArgument) is { Length: > 0 } chosen ? chosen : ModelZoo.Names.ToArray();
    foreach (var name in names)
    {
        var small = name.ToLowerInvariant() is "lenet5" or "simplecnn";
        using var model = ModelZoo.Create(name, new ModelOptions { NumClasses = small ? 10 : 1000 });
        var input = model.Configuration;
        var summary = model.Summary();
        Console.WriteLine($"== {name} ({input.InChannels}x{input.InputHeight}x{input.InputWidth}, {model.NumClasses} classes, head '{model.HeadName}', stages {string.Join(", ", model.Stages.Select(s => s.Name))})");
        Console.WriteLine(summary);
        Console.WriteLine();
    }

    return 0;
});
return root.Parse(args).Invoke();
