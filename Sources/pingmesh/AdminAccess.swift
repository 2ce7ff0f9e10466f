import ArgumentParser
import PingmeshModel

/// `AdminTokenFiles` for the command line: a problem with the flags is a usage error naming the
/// flag.
enum AdminAccess {
    static func tokens(file: String?, openAdmin: Bool) throws -> AccessTokens {
        do {
            return try AdminTokenFiles.serverTokens(file: file, openAdmin: openAdmin)
        } catch let issue as ConfigIssue {
            throw ValidationError(issue.description)
        }
    }

    static func resolve(token: String?, file: String?, flag: String = "--token-file") throws -> String? {
        do {
            return try AdminTokenFiles.resolve(token: token, file: file, flag: flag)
        } catch {
            throw ValidationError(error.description)
        }
    }
}
