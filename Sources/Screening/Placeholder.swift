public enum ScreeningVersion { public static let value = 1 }
