public enum SimVersion { public static let value = 1 }
