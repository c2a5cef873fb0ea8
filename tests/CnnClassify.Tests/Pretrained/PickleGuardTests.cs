using System.IO.Compression;
using CnnClassify.Serialization;

namespace CnnClassify.Tests.Pretrained;

/// <summary>A .pth file is a pickle, and a pickle can name any Python callable: only what a state dict needs may load.</summary>
public sealed class PickleGuardTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-pickle-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string TorchZip(string name, byte[] pickle)
    {
        var path = Path.Combine(_dir, name);
        using var archive = ZipFile.Open(path, ZipArchiveMode.Create);
        using (var entry = archive.CreateEntry("archive/data.pkl").Open())
        {
            entry.Write(pickle);
        }

        using (var version = archive.CreateEntry("archive/version").Open())
        {
            version.Write("3\n"u8);
        }

        return path;
    }

    [Fact]
    public void A_pickle_that_calls_os_system_is_refused_before_anything_runs()
    {
        var marker = Path.Combine(_dir, "ran");
        // protocol 2: GLOBAL posix system, the argument tuple, REDUCE, STOP.
        var command = System.Text.Encoding.ASCII.GetBytes($"touch {marker}");
        byte[] pickle = [0x80, 0x02, .. "cposix\nsystem\nq\x00"u8, (byte)'X', .. BitConverter.GetBytes(command.Length), .. command, 0x85, (byte)'R', (byte)'.'];
        var path = TorchZip("evil.pth", pickle);

        var error = Assert.Throws<InvalidDataException>(() => StateDictFile.Read(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("posix.system", error.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing in it was run", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void A_global_named_through_the_stack_is_refused_too()
    {
        // protocol 4: SHORT_BINUNICODE "os", MEMOIZE, SHORT_BINUNICODE "system", MEMOIZE, STACK_GLOBAL, ...
        byte[] pickle = [0x80, 0x04, 0x8c, 2, .. "os"u8, 0x94, 0x8c, 6, .. "system"u8, 0x94, 0x93, 0x8c, 4, .. "true"u8, 0x85, (byte)'R', (byte)'.'];
        var path = TorchZip("stack.pth", pickle);

        var error = Assert.Throws<InvalidDataException>(() => StateDictFile.Read(path));

        Assert.Contains("os.system", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_state_dicts_own_globals_pass_and_damage_is_named()
    {
        byte[] allowed = [0x80, 0x02, .. "ccollections\nOrderedDict\nq\x00)Rq\x01."u8];
        byte[] truncated = [0x80, 0x02, .. "ccollections\nOrde"u8];
        byte[] unknown = [0x80, 0x02, 0xff, (byte)'.'];

        PickleGuard.Check(allowed, "ok.pth");
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => PickleGuard.Check(truncated, "cut.pth")).Message, StringComparison.Ordinal);
        Assert.Contains("opcode 0xff", Assert.Throws<InvalidDataException>(() => PickleGuard.Check(unknown, "odd.pth")).Message, StringComparison.Ordinal);
    }
}
