using System.Globalization;
using CnnClassify.Models;

namespace CnnClassify.Tests.Packaging;

/// <summary>The README's zoo table names every zoo model, with the catalogue's parameter counts and MACs close to torchvision's GFLOPS.</summary>
public sealed class ReadmeZooTableTests
{
    [Fact]
    public void The_zoo_table_lists_every_model_with_its_published_parameters_and_cost()
    {
        var rows = Rows();
        var listed = rows.SelectMany(row => row.Names).ToList();

        Assert.Equal(ModelZoo.Names.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        foreach (var (names, parameters, macs) in rows)
        {
            for (var i = 0; i < names.Count; i++)
            {
                // Inception v3's published count includes its auxiliary head, which the table gives apart.
                var entries = WeightCatalog.For(names[i]);
                if (entries.Count == 0 || names[i] == "inception_v3")
                {
                    continue;
                }

                var weights = entries[0];
                Assert.True(weights.Parameters == parameters[i], $"{names[i]}: the table says {parameters[i]:N0} parameters, the catalogue {weights.Parameters:N0}");
                if (WeightCatalog.For(names[i]).FirstOrDefault(w => w.CropSize == 224) is { } at224)
                {
                    Assert.True(Math.Abs((macs[i] / 1e9 / at224.Gflops) - 1) < 0.015, $"{names[i]}: the table says {macs[i]:G4} MACs, torchvision {at224.Gflops} GFLOPS at 224");
                }
            }
        }
    }

    // Each row: the names (abbreviations expanded), their parameter counts and MACs.
    private static List<(List<string> Names, List<long> Parameters, List<double> Macs)> Rows()
    {
        var lines = File.ReadAllLines(RepositoryPaths.Combine("README.md"));
        var start = Array.FindIndex(lines, line => line.StartsWith("| Name | Parameters (1,000 classes) | MACs", StringComparison.Ordinal));
        Assert.True(start >= 0, "the README has no zoo table");
        var rows = new List<(List<string>, List<long>, List<double>)>();
        foreach (var line in lines.Skip(start + 2).TakeWhile(line => line.StartsWith('|')))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries)[1..^1];
            var tokens = cells[0].Split('`').Where((_, i) => i % 2 == 1).ToList();
            var names = tokens.Count == 1 ? tokens : [tokens[0], .. tokens.Skip(1).Select(abbreviation => Expand(tokens[0], abbreviation))];
            var parameters = cells[1].Split('/').Select(p => long.Parse(p.Trim(), NumberStyles.AllowThousands, CultureInfo.InvariantCulture)).ToList();
            var macs = cells[2].Split('/').Select(m => Macs(m.Trim())).ToList();
            Assert.True(names.Count == parameters.Count && names.Count == macs.Count, line);
            rows.Add((names, parameters, macs));
        }

        return rows;
    }

    // "34" after "resnet18" is resnet34: the zoo name that ends with it and shares the longest start with the first.
    private static string Expand(string first, string abbreviation) =>
        ModelZoo.Names.Where(name => name.EndsWith(abbreviation, StringComparison.Ordinal) && first.StartsWith(name[..^abbreviation.Length], StringComparison.Ordinal))
            .MaxBy(name => name.Length - abbreviation.Length) ?? throw new InvalidDataException($"'{abbreviation}' after '{first}' names no zoo model");

    private static double Macs(string text)
    {
        var parts = text.Split(' ');
        var scale = parts[1] switch { "G" => 1e9, "M" => 1e6, _ => throw new InvalidDataException($"unknown unit in '{text}'") };
        return double.Parse(parts[0], CultureInfo.InvariantCulture) * scale;
    }
}
