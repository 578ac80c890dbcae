/// canthus's release: `canthus --version`, the Debian package's version (the Makefile reads it
/// from here) and the renamed-settings table (`RenamedSetting.since`).
public enum CanthusVersion {
    public static let string = "0.2.0"
}
