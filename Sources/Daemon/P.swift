public enum DaemonVersion { public static let value = 1 }
