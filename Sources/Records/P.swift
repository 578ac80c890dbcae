public enum RecordsVersion { public static let value = 1 }
