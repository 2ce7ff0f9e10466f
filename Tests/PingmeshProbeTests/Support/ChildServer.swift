import Foundation
import PingmeshTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Stopping the servers the tests run as children (dnsmasq, chronyd).
enum ChildServer {
    /// SIGKILL and wait for the exit. A child inherits the signal mask of the thread that spawned
    /// it, and the test runner's threads block SIGTERM, which dnsmasq and chronyd never unblock:
    /// `terminate()` would leave the signal pending and the wait hanging. SIGKILL cannot be blocked.
    static func kill(_ background: BackgroundProcess) async {
        killNow(background)
        await background.process.exited()
    }

    /// SIGKILL without waiting, for a `deinit`: a test that throws half-way must not leave its
    /// server running.
    static func killNow(_ background: BackgroundProcess) {
        if background.process.isRunning { _ = Glibc.kill(background.process.processIdentifier, SIGKILL) }
    }

    /// A server whose program is installed but that never answered: a test failure, since the
    /// test's prerequisites held.
    struct DidNotStart: Error, CustomStringConvertible {
        var description: String
    }
}
