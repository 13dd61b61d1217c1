/** `vault add-device --qr`: the pairing code as a terminal QR code the qrcode library encodes. */
import QRCode from "qrcode";
import { pairingQr } from "../../../client/cli/vault-devices";

const CODE = "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345-6789-ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345-6789-ABCD";

describe("pairing code as a QR code", () => {
  it("renders every module of the code's symbol, two rows per line, with the quiet zone", async () => {
    // Act
    const text = await pairingQr(CODE);

    // Assess: one line per two module rows, one character per module column, with a
    // one-module quiet zone on each side; only block characters between the colour codes
    const { size } = QRCode.create(CODE, { errorCorrectionLevel: "M" }).modules;
    const colour = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");
    const drawn = text
      .split("\n")
      .map((l) => l.replace(colour, ""))
      .filter((l) => l.length > 0);
    expect(drawn).toHaveLength(Math.ceil((size + 2) / 2));
    for (const l of drawn) {
      expect(l).toMatch(/^[ ▀▄█]+$/u);
      expect([...l]).toHaveLength(size + 2);
    }
    expect(await pairingQr(`${CODE.slice(0, -1)}E`)).not.toBe(text);
  });
});
