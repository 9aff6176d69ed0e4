/** Natter's release version, reported at `/` and in the startup log. */
export const VERSION = "0.1.0";
