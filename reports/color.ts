// Colours only on a terminal: a report piped to a file, an email or CI must be plain
// text, byte for byte the same everywhere (picocolors alone also colours when CI is set).
import pc from "picocolors";

const enabled =
  process.stdout.isTTY === true && !("NO_COLOR" in process.env) && process.env.TERM !== "dumb";

export const color = pc.createColors(enabled || "FORCE_COLOR" in process.env);
