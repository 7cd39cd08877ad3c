import { WorkedFigures } from "../../components/worked-figures.js";
import { Hierarchy } from "../../widgets/hierarchy.js";

export function HardwareArticle() {
  return (
    <>
      <section>
        <h2>The memory hierarchy</h2>
        <p>
          Memory comes in layers: a few megabytes of on-chip SRAM next to the arithmetic units, tens to
          hundreds of gigabytes of HBM or GDDR on the card, the host's RAM behind a PCIe or NVLink connection,
          then disk. Each step down is larger and slower. Two numbers describe each layer, and they answer
          different questions: <b>capacity</b> decides whether a model fits, <b>bandwidth</b> decides how fast
          it runs once it does.
        </p>
        <Hierarchy />
        <WorkedFigures topic="hardware" />
      </section>
      <section>
        <h2>Unified &amp; alternative memory</h2>
        <p>
          Apple silicon gives CPU and GPU one shared pool, so a laptop can hold a model far larger than any
          consumer graphics card; its bandwidth is lower than a data-centre GPU's, so it runs that model more
          slowly. The catalog marks these machines as unified memory.
        </p>
      </section>
      <section>
        <h2>Distribution &amp; offloading</h2>
        <p>
          A model too large for one device is split: tensor parallelism cuts every layer across GPUs and adds
          their bandwidth; pipeline parallelism gives each GPU a run of layers. Offloading keeps some weights
          in host memory and streams them in when needed, and then the link, not the GPU's memory, sets the
          pace. The "streaming over the link" figure above is that ceiling.
        </p>
      </section>
    </>
  );
}
