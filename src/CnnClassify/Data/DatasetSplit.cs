namespace CnnClassify.Data;

/// <summary>Splits a dataset into training and validation parts.</summary>
public static class DatasetSplit
{
    /// <summary>
    /// Splits <paramref name="dataset"/> at random, reproducibly for a given seed. Stratified, each
    /// class is split in the same proportion, so both parts keep the class balance; a multi-label
    /// dataset is split by iterative stratification (Sechidis et al., 2011), which keeps each
    /// label's share as close as the overlapping label sets allow.
    /// </summary>
    /// <param name="dataset">The dataset.</param>
    /// <param name="validationFraction">Share of samples for validation, in (0, 1); rounded per class when stratified.</param>
    /// <param name="seed">The random seed.</param>
    /// <param name="stratified">Whether to split each class separately.</param>
    /// <returns>The training part and the validation part; their indices are disjoint and cover the dataset.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="validationFraction"/> is not in (0, 1).</exception>
    public static (Subset Train, Subset Validation) Split(IImageDataset dataset, double validationFraction, int seed, bool stratified = false)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (!(validationFraction > 0 && validationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be between 0 and 1, exclusive.");
        }

        if (stratified && dataset.IsMultiLabel)
        {
            var held = IterativeStratification.Held(dataset, validationFraction, seed);
            return (new Subset(dataset, Enumerable.Range(0, dataset.Count).Where(i => !held[i])), new Subset(dataset, Enumerable.Range(0, dataset.Count).Where(i => held[i])));
        }

        var random = new Random(seed);
        var groups = stratified
            ? Enumerable.Range(0, dataset.Count).GroupBy(dataset.LabelAt).OrderBy(group => group.Key).Select(group => group.ToArray())
            : [Enumerable.Range(0, dataset.Count).ToArray()];

        var train = new List<int>();
        var validation = new List<int>();
        foreach (var group in groups)
        {
            random.Shuffle(group);
            var take = (int)Math.Round(group.Length * validationFraction, MidpointRounding.AwayFromZero);
            validation.AddRange(group.Take(take));
            train.AddRange(group.Skip(take));
        }

        return (new Subset(dataset, train.Order()), new Subset(dataset, validation.Order()));
    }
}
