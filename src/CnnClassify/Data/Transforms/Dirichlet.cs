namespace CnnClassify.Data.Transforms;

/// <summary>Symmetric Dirichlet samples from a <see cref="Random"/>: normalised Gamma(alpha) draws (Marsaglia and Tsang, 2000).</summary>
internal static class Dirichlet
{
    public static double[] Sample(Random random, double alpha, int count)
    {
        var draws = new double[count];
        for (var i = 0; i < count; i++)
        {
            draws[i] = Gamma(random, alpha);
        }

        var total = draws.Sum();
        if (!(total > 0))
        {
            // Every draw underflowed (a tiny alpha): all the weight on one component, as the limit.
            Array.Clear(draws);
            draws[random.Next(count)] = 1;
            return draws;
        }

        for (var i = 0; i < count; i++)
        {
            draws[i] /= total;
        }

        return draws;
    }

    public static double Gamma(Random random, double alpha)
    {
        if (alpha < 1)
        {
            // Gamma(alpha) = Gamma(alpha + 1) * U^(1 / alpha).
            return Gamma(random, alpha + 1) * Math.Pow(1 - random.NextDouble(), 1 / alpha);
        }

        var d = alpha - (1.0 / 3.0);
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = Normal(random);
                v = 1 + (c * x);
            }
            while (v <= 0);

            v = v * v * v;
            var u = 1 - random.NextDouble();
            if (u < 1 - (0.0331 * x * x * x * x) || Math.Log(u) < (0.5 * x * x) + (d * (1 - v + Math.Log(v))))
            {
                return d * v;
            }
        }
    }

    private static double Normal(Random random)
    {
        var u1 = 1 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
