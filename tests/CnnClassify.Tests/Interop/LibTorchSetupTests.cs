using System.Runtime.InteropServices;
using System.Text;
using CnnClassify.Models;
using CnnClassify.Native;
using Microsoft.Extensions.Logging;

namespace CnnClassify.Tests.Interop;

/// <summary>LibTorch's NNPACK start-up: quiet, logged, and switched off where it cannot run.</summary>
[Collection(SerialTests.Name)]
public sealed partial class LibTorchSetupTests
{
    [Fact]
    public void NNPACK_stays_on_where_LibTorch_initialises_it_and_is_off_where_it_cannot()
    {
        using var model = CnnBuilder.Input(1, 4, 4).Flatten().Dense(2).Build();

        var state = LibTorchSetup.Ensure();

        Assert.NotEqual(LibTorchSetup.NnpackState.Unknown, state);
        Assert.Equal(state == LibTorchSetup.NnpackState.Available, LibTorchSetup.NnpackEnabled);
    }

    [SkippableFact]
    public void On_hardware_without_NNPACK_the_warning_is_logged_not_printed_and_NNPACK_is_switched_off()
    {
        Skip.IfNot(NativeStderr.IsSupported, "Capturing descriptor 2 needs Linux or macOS.");
        LibTorchSetup.Ensure();
        var before = LibTorchSetup.NnpackEnabled;
        var logger = new ListLogger();
        try
        {
            // A probe that behaves like LibTorch on unsupported hardware: it prints the warning
            // natively, and another native message comes out meanwhile.
            var state = LibTorchSetup.NnpackState.Unknown;
            var printed = NativeStderr.Capture(() => state = LibTorchSetup.Configure(
                () =>
                {
                    WriteNative("[W NNPACK.cpp:56] Could not initialize NNPACK! Reason: Unsupported hardware.\nsomething else went wrong\n");
                    return false;
                },
                logger));

            Assert.Equal(LibTorchSetup.NnpackState.SwitchedOff, state);
            Assert.False(LibTorchSetup.NnpackEnabled);
            Assert.Equal("something else went wrong\n", printed);
            var entry = Assert.Single(logger.Entries);
            Assert.Equal(LogLevel.Debug, entry.Level);
            Assert.Contains("Could not initialize NNPACK! Reason: Unsupported hardware.", entry.Message, StringComparison.Ordinal);
        }
        finally
        {
            LibTorchSetup.SetNnpackEnabled(before ?? true);
        }
    }

    [SkippableFact]
    public void Native_writes_to_standard_error_are_captured_while_the_action_runs_only()
    {
        Skip.IfNot(NativeStderr.IsSupported, "Capturing descriptor 2 needs Linux or macOS.");

        var inner = NativeStderr.Capture(() => WriteNative("inside\n"));
        var outer = NativeStderr.Capture(() =>
        {
            WriteNative("before\n");
            Assert.Equal("nested\n", NativeStderr.Capture(() => WriteNative("nested\n")));
            WriteNative("after\n");
        });

        Assert.Equal("inside\n", inner);
        Assert.Equal("before\nafter\n", outer);
    }

    [Fact]
    public void Only_the_NNPACK_lines_are_taken_out_of_captured_text()
    {
        var (others, removed) = LibTorchSetup.SplitNnpackWarnings(
            "[W NNPACK.cpp:56] Could not initialize NNPACK! Reason: Unsupported hardware.\n[W Other.cpp:1] a real warning\n[W NNPACK.cpp:56] Could not initialize NNPACK! Reason: Unsupported hardware.\n");

        Assert.Equal("[W Other.cpp:1] a real warning\n", others);
        Assert.Equal(2, removed.Count);
    }

    private static void WriteNative(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Assert.Equal(bytes.Length, (int)Write(2, bytes, bytes.Length));
    }

    [LibraryImport("libc", EntryPoint = "write")]
    private static partial nint Write(int descriptor, byte[] buffer, nint count);

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
