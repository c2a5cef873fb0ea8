using System.Text.Json;
using CnnClassify.Serialization;

namespace CnnClassify.Tests.Interop;

/// <summary>The pickle guard follows strings through the stack and memo exactly as CPython's unpickler does.</summary>
public sealed class PickleMachineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-pickles-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public void It_names_the_same_globals_as_pythons_unpickler_on_1000_generated_pickles_that_mix_every_memo_opcode()
    {
        var (code, output) = PythonProcess.Run(RepositoryPaths.Combine("tests", "CnnClassify.Tests", "Interop", "pickle_memo_reference.py"), _dir, "1000");
        Skip.If(code != 0 && !PythonProcess.InRoot, $"Python could not generate the pickles: {output}");
        Assert.True(code == 0, output);
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "expected.json")));

        var disagreements = new List<string>();
        var (named, failed) = (0, 0);
        var opcodes = new HashSet<byte>();
        foreach (var (reference, i) in expected.RootElement.EnumerateArray().Select((e, i) => (e, i)))
        {
            var pickle = File.ReadAllBytes(Path.Combine(_dir, $"{i:0000}.pkl"));
            opcodes.UnionWith(pickle);
            var ours = new List<string>();
            string? error = null;
            try
            {
                PickleMachine.Run(pickle, $"{i:0000}.pkl", (module, name) => ours.Add($"{module}.{name}"));
            }
            catch (InvalidDataException ex)
            {
                error = ex.Message;
            }

            var python = reference.GetProperty("globals").EnumerateArray().Select(g => g.GetString()!).ToList();
            var pythonOk = reference.GetProperty("ok").GetBoolean();
            named += python.Count;
            failed += pythonOk ? 0 : 1;
            if (!ours.SequenceEqual(python) || pythonOk != (error is null))
            {
                disagreements.Add($"{i:0000}.pkl: Python named [{string.Join(", ", python)}] ({(pythonOk ? "loaded" : "failed")}), the guard [{string.Join(", ", ours)}] ({error ?? "loaded"})");
            }
        }

        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements.Take(5)));
        Assert.True(named > 1000, $"only {named} globals named");
        Assert.InRange(failed, 20, 300);
        // Every memo opcode and every string opcode appears somewhere.
        Assert.Superset(new HashSet<byte>([.. "pqrghjVXSTUci("u8, 0x94, 0x8c, 0x8d, 0x93, 0x95]), opcodes);
    }

    [Fact]
    public void A_text_put_cannot_shift_memoize_so_that_os_system_passes_for_an_ordered_dict()
    {
        // PUT 0 "os"; MEMOIZE "collections" (1), "system" (2), "OrderedDict" (3); BINGET 0, BINGET 2;
        // STACK_GLOBAL. Python looks up os.system; a guard that skipped PUT would read
        // collections.OrderedDict from its shifted memo.
        byte[] pickle =
        [
            0x80, 0x04, 0x8c, 2, .. "os"u8, .. "p0\n"u8, 0x8c, 11, .. "collections"u8, 0x94, 0x8c, 6, .. "system"u8, 0x94,
            0x8c, 11, .. "OrderedDict"u8, 0x94, (byte)'h', 0, (byte)'h', 2, 0x93, 0x8c, 4, .. "true"u8, 0x85, (byte)'R', (byte)'.',
        ];
        var named = new List<string>();

        PickleMachine.Run(pickle, "shifted.pth", (module, name) => named.Add($"{module}.{name}"));
        var error = Assert.Throws<InvalidDataException>(() => PickleGuard.Check(pickle, "shifted.pth"));

        Assert.Equal(["os.system"], named);
        Assert.Contains("names the global os.system", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_instruction_that_runs_past_its_frames_end_is_refused()
    {
        // A frame of four bytes whose SHORT_BINUNICODE asks for sixteen: CPython drops the frame's
        // last two bytes and reads on from the file, so the two readings part ways here.
        byte[] pickle = [0x80, 0x04, 0x95, .. BitConverter.GetBytes(4L), 0x8c, 16, (byte)'A', (byte)'B', .. "cos\nsystem\n)R...."u8, (byte)'.'];
        byte[] framed = [0x80, 0x04, 0x95, .. BitConverter.GetBytes(3L), (byte)'N', (byte)'0', (byte)'N', (byte)'.'];

        var error = Assert.Throws<InvalidDataException>(() => PickleMachine.Run(pickle, "straddle.pth", (_, _) => { }));
        PickleMachine.Run(framed, "framed.pth", (_, _) => { });

        Assert.Contains("runs past the end of its frame", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Stack_memo_and_instruction_counts_are_bounded()
    {
        byte[] marks = [0x80, 0x02, .. Enumerable.Repeat((byte)'(', PickleMachine.MaxStackDepth + 1), (byte)'N', (byte)'.'];
        byte[] farMemo = [0x80, 0x02, (byte)'N', (byte)'r', .. BitConverter.GetBytes(PickleMachine.MaxMemo), (byte)'.'];
        byte[] endless = [0x80, 0x02, .. Enumerable.Range(0, (PickleMachine.MaxInstructions / 2) + 1).SelectMany(_ => "N0"u8.ToArray()), (byte)'N', (byte)'.'];

        Assert.Contains("stack grows past", Assert.Throws<InvalidDataException>(() => PickleGuard.Check(marks, "marks.pth")).Message, StringComparison.Ordinal);
        Assert.Contains("memo entry", Assert.Throws<InvalidDataException>(() => PickleGuard.Check(farMemo, "memo.pth")).Message, StringComparison.Ordinal);
        Assert.Contains("instructions", Assert.Throws<InvalidDataException>(() => PickleGuard.Check(endless, "endless.pth")).Message, StringComparison.Ordinal);
    }
}
