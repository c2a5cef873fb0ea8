// Run under mpirun by MpiTests: `collectives` all-reduces and broadcasts known tensors and
// prints what each rank holds; `abort` makes rank 1 abort while rank 0 waits at a barrier.
using System.Globalization;
using CnnClassify.Distributed;
using TorchSharp;

using var world = MpiWorld.Initialize();
var rank = world.Rank;
switch (args.FirstOrDefault())
{
    case "collectives":
    {
        using var floats = torch.tensor(new float[] { rank + 1, 10 * (rank + 1), -0.5f });
        world.AllReduceSum(floats);
        using var doubles = torch.tensor(new[] { rank * 0.25, 1e-300 });
        world.AllReduceSum(doubles);
        using var longs = torch.tensor(new long[] { 1L << 40, rank });
        world.AllReduceSum(longs);
        using var broadcast = rank == 0 ? torch.tensor(new float[] { 3.5f, -2, 7 }) : torch.zeros(3);
        world.Broadcast(broadcast);
        world.Barrier();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rank {rank}/{world.Size} floats {Join(floats.data<float>())} doubles {Join(doubles.data<double>())} longs {Join(longs.data<long>())} broadcast {Join(broadcast.data<float>())} version {world.Version.Split(',')[0]}"));
        return 0;
    }

    case "abort":
        if (rank == 1)
        {
            world.Abort(3);
        }

        world.Barrier();
        return 0;

    default:
        Console.Error.WriteLine("Usage: CnnClassify.MpiProbe collectives|abort");
        return 2;
}

static string Join<T>(IEnumerable<T> values) where T : IFormattable =>
    string.Join(",", values.Select(v => v.ToString(null, CultureInfo.InvariantCulture)));
